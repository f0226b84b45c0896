"""Postal delivery: render the letter and submit it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from vault03_common.events import DeliveryRequested, PostalPayload
from vault03_common.runtime import DeliveryResult
from vault03_postal.letter import render_letter
from vault03_postal.settings import PostalSettings
from vault03_postal.sink import PostalSink


async def handle(
    event: DeliveryRequested, *, client: PostalSink, settings: PostalSettings
) -> DeliveryResult:
    """Send one letter."""
    payload = event.payload
    assert isinstance(payload, PostalPayload)
    today = datetime.now(UTC).date()
    pdf = await asyncio.to_thread(render_letter, payload, settings, today=today)
    return await client.send(pdf, delivery_id=event.delivery_id)
