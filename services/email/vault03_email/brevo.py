"""Brevo transactional email: `POST /v3/smtp/email` with the `api-key` header.

Brevo answers 201 `{"messageId": "<...>"}`; errors carry `{"code": ..., "message": ...}`.
The idempotency key (a UUID derived from the delivery id, sent in the message's `headers`)
makes Brevo refuse a second request with `duplicate_parameter` for 30 minutes: a worker that
died between the call and the ack therefore does not send the email twice. `X-Mailin-custom`
carries the delivery id, which Brevo echoes in its webhooks.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from vault03_common.brevo import (
    PROVIDER,
    brevo_error,
    message_id,
    note_rate_limit,
    raise_brevo_error,
)
from vault03_common.providers import RateGate, http_client, send_request
from vault03_common.runtime import DeliveryResult
from vault03_common.settings import optional_secret
from vault03_email.render import RenderedEmail
from vault03_email.settings import EmailSettings

# Fixed namespace: the same delivery id always yields the same idempotency key.
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d3c2a-8e0b-4f57-9d2e-0b7a1c5e9f43")


def idempotency_key(delivery_id: str) -> str:
    """The UUID Brevo wants as idempotency key, derived from the delivery id."""
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, delivery_id))


class BrevoEmailClient:
    """Sends rendered emails through Brevo's transactional API."""

    def __init__(self, http: httpx.AsyncClient, *, sandbox: bool = False) -> None:
        self.http = http
        self.sandbox = sandbox
        self.gate = RateGate(channel="email", provider=PROVIDER)

    @classmethod
    def from_settings(cls, settings: EmailSettings) -> BrevoEmailClient:
        api_key = optional_secret(settings.brevo_api_key)
        if api_key is None:
            raise ValueError("VAULT03_EMAIL_BREVO_API_KEY is not set")
        http = http_client(
            settings,
            base_url=settings.brevo_base_url,
            headers={"api-key": api_key, "accept": "application/json"},
        )
        return cls(http, sandbox=settings.brevo_sandbox)

    def request_body(self, email: RenderedEmail) -> dict[str, Any]:
        """The JSON body of `POST /smtp/email` for one email."""
        recipient: dict[str, str] = {"email": email.to}
        if email.to_name:
            recipient["name"] = email.to_name
        headers = {
            "idempotencyKey": idempotency_key(email.delivery_id),
            "X-Mailin-custom": email.delivery_id,
        }
        if self.sandbox:
            headers["X-Sib-Sandbox"] = "drop"
        body: dict[str, Any] = {
            "sender": {"name": email.sender_name, "email": email.sender_email},
            "to": [recipient],
            "subject": email.subject,
            "htmlContent": email.html,
            "textContent": email.text,
            "headers": headers,
            "tags": [email.kind],
        }
        if email.reply_to:
            body["replyTo"] = {"email": email.reply_to}
        return body

    async def send(self, email: RenderedEmail) -> DeliveryResult:
        """Send one email; Brevo's messageId becomes the provider message id."""
        await self.gate.wait()
        response = await send_request(
            self.http,
            "POST",
            "/smtp/email",
            channel="email",
            provider=PROVIDER,
            json=self.request_body(email),
        )
        wait = note_rate_limit(response, self.gate)
        if response.is_success:
            return DeliveryResult(provider_message_id=message_id(response))
        if response.status_code == 400 and brevo_error(response)[0] == "duplicate_parameter":
            # The idempotency key was seen: an earlier attempt was accepted (its messageId was
            # lost with that attempt; webhooks still find the delivery by X-Mailin-custom).
            return DeliveryResult(provider_message_id=None)
        raise_brevo_error(response, retry_after=wait)
        raise AssertionError("unreachable")  # raise_brevo_error raised for a non-2xx

    async def aclose(self) -> None:
        await self.http.aclose()
