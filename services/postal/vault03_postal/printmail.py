"""Print-and-mail client, for a Pingen- or Lob-style letter API (base URL and key configured).

The protocol (docs/providers.md describes it for whoever adapts a provider):
- `POST /files` (multipart, field `file`, a PDF) -> 201 `{"id": "file_..."}`
- `POST /letters` (JSON: file_id, recipient, address_position, color, duplex,
  delivery_product, metadata) -> 201 `{"id": "ltr_...", "status": "submitted"}`
- `GET /letters/{id}` -> `{"id": ..., "status": "submitted|sent|delivered|undeliverable"}`
- errors: `{"error": {"code": "...", "message": "..."}}`; 429/5xx are worth retrying.
Every write carries an `Idempotency-Key` derived from the delivery id: the provider answers a
replay with the letter it already created, so a worker killed between the call and the ack
does not print the letter twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from vault03_common.address import PostalAddress
from vault03_common.providers import (
    RateGate,
    http_client,
    json_body,
    raise_for_status,
    retry_after_seconds,
    send_request,
)
from vault03_common.runtime import DeliveryResult, TransientError
from vault03_common.settings import optional_secret
from vault03_postal.settings import PostalSettings

PROVIDER = "printmail"
LETTER_STATUSES = ("submitted", "sent", "delivered", "undeliverable")


@dataclass(frozen=True)
class LetterOptions:
    color: bool = False
    duplex: bool = False
    delivery_product: str = "standard"


@dataclass(frozen=True)
class LetterStatus:
    letter_id: str
    status: str
    reason: str | None = None


def _error_text(response: httpx.Response) -> str:
    error = json_body(response).get("error")
    if isinstance(error, dict):
        return f"{error.get('code') or 'unknown'}: {error.get('message') or ''}".strip()
    return response.text[:200] or response.reason_phrase


class PrintMailClient:
    """Uploads letter PDFs and creates letters with a print-and-mail provider."""

    def __init__(self, http: httpx.AsyncClient, *, options: LetterOptions) -> None:
        self.http = http
        self.options = options
        self.gate = RateGate(channel="postal", provider=PROVIDER)

    @classmethod
    def from_settings(cls, settings: PostalSettings) -> PrintMailClient:
        api_key = optional_secret(settings.printmail_api_key)
        if api_key is None:
            raise ValueError("VAULT03_POSTAL_PRINTMAIL_API_KEY is not set")
        http = http_client(
            settings,
            base_url=settings.printmail_base_url,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
        )
        options = LetterOptions(
            color=settings.printmail_color,
            duplex=settings.printmail_duplex,
            delivery_product=settings.printmail_delivery_product,
        )
        return cls(http, options=options)

    async def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        await self.gate.wait()
        response = await send_request(
            self.http, method, url, channel="postal", provider=PROVIDER, **kwargs
        )
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
        if response.status_code == 429:
            retry_after = retry_after if retry_after is not None else 1.0
            self.gate.close_for(retry_after)
        raise_for_status(
            response, provider=PROVIDER, error=_error_text(response), retry_after=retry_after
        )
        body = json_body(response)
        if not isinstance(body.get("id"), str):
            raise TransientError(f"{PROVIDER} answered {response.status_code} without an id")
        return body

    async def upload(self, pdf: bytes, *, delivery_id: str) -> str:
        """Upload the letter's PDF; returns the provider's file id."""
        body = await self._call(
            "POST",
            "/files",
            files={"file": (f"{delivery_id}.pdf", pdf, "application/pdf")},
            headers={"Idempotency-Key": f"{delivery_id}:file"},
        )
        return str(body["id"])

    async def create_letter(self, *, file_id: str, address: PostalAddress, delivery_id: str) -> str:
        """Create (and release for printing) a letter from an uploaded file; its id."""
        recipient = address.model_dump(exclude_none=True)
        body = await self._call(
            "POST",
            "/letters",
            json={
                "file_id": file_id,
                "recipient": recipient,
                "address_position": "right",  # our PDFs place the address for a right window
                "color": self.options.color,
                "duplex": self.options.duplex,
                "delivery_product": self.options.delivery_product,
                "metadata": {"delivery_id": delivery_id},
            },
            headers={"Idempotency-Key": f"{delivery_id}:letter"},
        )
        return str(body["id"])

    async def status(self, letter_id: str) -> LetterStatus:
        """The provider's current status of a letter."""
        body = await self._call("GET", f"/letters/{letter_id}")
        return LetterStatus(
            letter_id=str(body["id"]),
            status=str(body.get("status", "")),
            reason=body.get("status_reason"),
        )

    async def send(self, pdf: bytes, *, address: PostalAddress, delivery_id: str) -> DeliveryResult:
        """Upload and create the letter; the letter id becomes the provider message id."""
        file_id = await self.upload(pdf, delivery_id=delivery_id)
        letter_id = await self.create_letter(
            file_id=file_id, address=address, delivery_id=delivery_id
        )
        return DeliveryResult(provider_message_id=letter_id)

    async def aclose(self) -> None:
        await self.http.aclose()
