"""Local postal sink: one PDF letter per delivery under <sink_dir>/postal/."""

from __future__ import annotations

import asyncio
from pathlib import Path

from vault03_common.address import PostalAddress
from vault03_common.providers import timed_call
from vault03_common.runtime import DeliveryResult
from vault03_common.sinks import write_once


class PostalSink:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, pdf: bytes, *, address: PostalAddress, delivery_id: str) -> DeliveryResult:
        """Write the letter as <delivery id>.pdf (a redelivery finds it there and skips)."""
        path = self.directory / f"{delivery_id}.pdf"
        with timed_call("postal", "sink"):
            await asyncio.to_thread(write_once, path, pdf)
        return DeliveryResult(provider_message_id=f"local:{path.name}")

    async def aclose(self) -> None:
        """Nothing to release."""
