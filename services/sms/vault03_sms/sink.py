"""Local SMS sink: one JSON line per message in <sink_dir>/sms.jsonl."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from vault03_common.providers import timed_call
from vault03_common.runtime import DeliveryResult
from vault03_common.sinks import JsonLinesSink
from vault03_sms.message import OutgoingSms


class SmsSink:
    def __init__(self, path: Path) -> None:
        self.lines = JsonLinesSink(path)

    async def send(self, sms: OutgoingSms) -> DeliveryResult:
        """Append the message (a delivery id already written is skipped)."""
        record = {
            "delivery_id": sms.delivery_id,
            "sender": sms.sender,
            "to": sms.to,
            "text": sms.text,
            "encoding": sms.length.encoding,
            "segments": sms.length.segments,
            "sent_at": datetime.now(UTC).isoformat(),
        }
        with timed_call("sms", "sink"):
            await asyncio.to_thread(self.lines.append, record)
        return DeliveryResult(provider_message_id=f"local:{sms.delivery_id}")

    async def aclose(self) -> None:
        """Nothing to release."""
