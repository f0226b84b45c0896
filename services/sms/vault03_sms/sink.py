"""Local SMS sink: one JSON line per message in <sink_dir>/sms.jsonl."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from vault03_common.runtime import DeliveryResult
from vault03_common.sinks import JsonLinesSink


class SmsSink:
    def __init__(self, path: Path) -> None:
        self.lines = JsonLinesSink(path)

    async def send(self, *, delivery_id: str, sender: str, to: str, text: str) -> DeliveryResult:
        record = {
            "delivery_id": delivery_id,
            "sender": sender,
            "to": to,
            "text": text,
            "sent_at": datetime.now(UTC).isoformat(),
        }
        await asyncio.to_thread(self.lines.append, record)
        return DeliveryResult(provider_message_id=f"local:{delivery_id}")
