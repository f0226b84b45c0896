"""Local email sink: one .eml file per delivery under <sink_dir>/email/."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from pathlib import Path

from vault03_common.runtime import DeliveryResult
from vault03_common.sinks import write_once


class EmailSink:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage, *, delivery_id: str) -> DeliveryResult:
        path = self.directory / f"{delivery_id}.eml"
        await asyncio.to_thread(write_once, path, bytes(message))
        return DeliveryResult(provider_message_id=f"local:{path.name}")
