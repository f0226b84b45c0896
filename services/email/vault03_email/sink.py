"""Local email sink: one .eml file per delivery under <sink_dir>/email/."""

from __future__ import annotations

import asyncio
from pathlib import Path

from vault03_common.providers import timed_call
from vault03_common.runtime import DeliveryResult
from vault03_common.sinks import write_once
from vault03_email.render import RenderedEmail


class EmailSink:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, email: RenderedEmail) -> DeliveryResult:
        """Write the message as <delivery id>.eml (a redelivery finds it there and skips)."""
        path = self.directory / f"{email.delivery_id}.eml"
        with timed_call("email", "sink"):
            await asyncio.to_thread(write_once, path, bytes(email.mime()))
        return DeliveryResult(provider_message_id=f"local:{path.name}")

    async def aclose(self) -> None:
        """Nothing to release."""
