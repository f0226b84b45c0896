"""Local postal sink: one PDF letter per delivery under <sink_dir>/postal/."""

from __future__ import annotations

import asyncio
from pathlib import Path

from vault03_common.runtime import DeliveryResult
from vault03_common.sinks import write_once


class PostalSink:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, pdf: bytes, *, delivery_id: str) -> DeliveryResult:
        path = self.directory / f"{delivery_id}.pdf"
        await asyncio.to_thread(write_once, path, pdf)
        return DeliveryResult(provider_message_id=f"local:{path.name}")
