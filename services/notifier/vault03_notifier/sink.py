"""Local Telegram sink: one JSON line per message in <sink_dir>/telegram.jsonl."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from vault03_common.providers import timed_call
from vault03_common.runtime import DeliveryResult
from vault03_common.sinks import JsonLinesSink
from vault03_notifier.text import Span, render, split_spans


class TelegramSink:
    def __init__(self, path: Path) -> None:
        self.lines = JsonLinesSink(path)

    async def send(self, *, key: str, chat_id: str, spans: list[Span]) -> DeliveryResult:
        """Append the text as Telegram would receive it (a key already written is skipped)."""
        record = {
            "delivery_id": key,
            "chat_id": chat_id,
            "text": render(spans, "plain"),
            "parts": len(split_spans(spans)),
            "sent_at": datetime.now(UTC).isoformat(),
        }
        with timed_call("telegram", "sink"):
            await asyncio.to_thread(self.lines.append, record)
        return DeliveryResult(provider_message_id=f"local:{key}")

    async def aclose(self) -> None:
        """Nothing to release."""
