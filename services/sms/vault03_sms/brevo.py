"""Brevo transactional SMS: `POST /v3/transactionalSMS/send`, answered `{"messageId": <int>}`.

Brevo offers no idempotency key for SMS: a worker killed between the call and the ack may
send a message twice (the runtime still skips re-sending when only the ack was lost).
"""

from __future__ import annotations

from typing import Any

import httpx

from vault03_common.brevo import PROVIDER, message_id, note_rate_limit, raise_brevo_error
from vault03_common.providers import RateGate, http_client, send_request
from vault03_common.runtime import DeliveryResult
from vault03_common.settings import optional_secret
from vault03_sms.message import OutgoingSms
from vault03_sms.settings import SmsSettings


class BrevoSmsClient:
    """Sends SMS through Brevo's transactional SMS API."""

    def __init__(self, http: httpx.AsyncClient, *, webhook_url: str | None = None) -> None:
        self.http = http
        self.webhook_url = webhook_url
        self.gate = RateGate(channel="sms", provider=PROVIDER)

    @classmethod
    def from_settings(cls, settings: SmsSettings) -> BrevoSmsClient:
        api_key = optional_secret(settings.brevo_api_key)
        if api_key is None:
            raise ValueError("VAULT03_SMS_BREVO_API_KEY is not set")
        http = http_client(
            settings,
            base_url=settings.brevo_base_url,
            headers={"api-key": api_key, "accept": "application/json"},
        )
        return cls(http, webhook_url=settings.brevo_webhook_url)

    def request_body(self, sms: OutgoingSms) -> dict[str, Any]:
        """The JSON body for one message (recipient as digits with the country code)."""
        body: dict[str, Any] = {
            "sender": sms.sender,
            "recipient": sms.to.removeprefix("+"),
            "content": sms.text,
            "type": "transactional",
            "tag": sms.kind,
            "unicodeEnabled": sms.length.encoding == "ucs2",
        }
        if self.webhook_url:
            body["webUrl"] = self.webhook_url
        return body

    async def send(self, sms: OutgoingSms) -> DeliveryResult:
        """Send one SMS; Brevo's messageId becomes the provider message id."""
        await self.gate.wait()
        response = await send_request(
            self.http,
            "POST",
            "/transactionalSMS/send",
            channel="sms",
            provider=PROVIDER,
            json=self.request_body(sms),
        )
        wait = note_rate_limit(response, self.gate)
        if response.is_success:
            return DeliveryResult(provider_message_id=message_id(response))
        raise_brevo_error(response, retry_after=wait)
        raise AssertionError("unreachable")  # raise_brevo_error raised for a non-2xx

    async def aclose(self) -> None:
        await self.http.aclose()
