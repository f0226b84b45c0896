"""SMS delivery."""

from __future__ import annotations

from vault03_common.events import DeliveryRequested, SmsPayload
from vault03_common.runtime import DeliveryResult
from vault03_sms.settings import SmsSettings
from vault03_sms.sink import SmsSink


async def handle(
    event: DeliveryRequested, *, client: SmsSink, settings: SmsSettings
) -> DeliveryResult:
    """Send one SMS delivery."""
    payload = event.payload
    assert isinstance(payload, SmsPayload)
    return await client.send(
        delivery_id=event.delivery_id, sender=settings.sender, to=payload.to, text=payload.text
    )
