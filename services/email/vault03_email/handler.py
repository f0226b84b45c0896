"""Email delivery: render the message and give it to the configured sender."""

from __future__ import annotations

from vault03_common.events import DeliveryRequested
from vault03_common.runtime import DeliveryResult
from vault03_email.render import build_message
from vault03_email.settings import EmailSettings
from vault03_email.sink import EmailSink


async def handle(
    event: DeliveryRequested, *, client: EmailSink, settings: EmailSettings
) -> DeliveryResult:
    """Send one email delivery."""
    message = build_message(event, settings)
    return await client.send(message, delivery_id=event.delivery_id)
