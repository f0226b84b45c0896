"""Postal delivery: render the letter and submit it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol

from vault03_common.address import PostalAddress
from vault03_common.events import DeliveryRequested, PostalPayload
from vault03_common.runtime import DeliveryResult, PermanentError
from vault03_postal.letter import render_letter
from vault03_postal.printmail import PrintMailClient
from vault03_postal.settings import PostalSettings
from vault03_postal.sink import PostalSink


class LetterSender(Protocol):
    async def send(
        self, pdf: bytes, *, address: PostalAddress, delivery_id: str
    ) -> DeliveryResult: ...

    async def aclose(self) -> None: ...


async def handle(
    event: DeliveryRequested, *, client: LetterSender, settings: PostalSettings
) -> DeliveryResult:
    """Send one letter."""
    payload = event.payload
    if not isinstance(payload, PostalPayload):
        raise PermanentError(f"postal worker got a {payload.channel.value} payload")
    today = datetime.now(UTC).date()
    pdf = await asyncio.to_thread(
        render_letter, payload, settings, today=today, schema_version=event.schema_version
    )
    return await client.send(pdf, address=payload.address, delivery_id=event.delivery_id)


def make_sender(settings: PostalSettings) -> LetterSender:
    """The print-and-mail provider when its key is configured, else the local sink."""
    if settings.uses_printmail:
        return PrintMailClient.from_settings(settings)
    return PostalSink(settings.sink_dir / "postal")
