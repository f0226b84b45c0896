"""Email delivery: render the message and give it to the configured sender."""

from __future__ import annotations

from typing import Protocol

from vault03_common.events import DeliveryRequested
from vault03_common.runtime import DeliveryResult
from vault03_email.brevo import BrevoEmailClient
from vault03_email.render import RenderedEmail, render_email
from vault03_email.settings import EmailSettings
from vault03_email.sink import EmailSink


class EmailSender(Protocol):
    async def send(self, email: RenderedEmail) -> DeliveryResult: ...

    async def aclose(self) -> None: ...


async def handle(
    event: DeliveryRequested, *, client: EmailSender, settings: EmailSettings
) -> DeliveryResult:
    """Send one email delivery."""
    return await client.send(render_email(event, settings))


def make_sender(settings: EmailSettings) -> EmailSender:
    """Brevo when its key is configured, else the local sink."""
    if settings.uses_brevo:
        return BrevoEmailClient.from_settings(settings)
    return EmailSink(settings.sink_dir / "email")
