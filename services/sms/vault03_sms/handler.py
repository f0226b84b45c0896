"""SMS delivery: check the message against the limits and give it to the sender."""

from __future__ import annotations

from typing import Protocol

from vault03_common.events import DeliveryRequested
from vault03_common.runtime import DeliveryResult
from vault03_sms.brevo import BrevoSmsClient
from vault03_sms.message import OutgoingSms, prepare_sms
from vault03_sms.settings import SmsSettings
from vault03_sms.sink import SmsSink


class SmsSender(Protocol):
    async def send(self, sms: OutgoingSms) -> DeliveryResult: ...

    async def aclose(self) -> None: ...


async def handle(
    event: DeliveryRequested, *, client: SmsSender, settings: SmsSettings
) -> DeliveryResult:
    """Send one SMS delivery."""
    return await client.send(prepare_sms(event, settings))


def make_sender(settings: SmsSettings) -> SmsSender:
    """Brevo when its key is configured, else the local sink."""
    if settings.uses_brevo:
        return BrevoSmsClient.from_settings(settings)
    return SmsSink(settings.sink_dir / "sms.jsonl")
