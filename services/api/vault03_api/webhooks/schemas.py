"""Webhook bodies as the providers send them, and what the API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag


class BrevoEmailEvent(BaseModel):
    """A Brevo transactional email event (`event`, `message-id`, `X-Mailin-custom`...)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    event: str = Field(min_length=1)
    message_id: str = Field(alias="message-id", min_length=1)
    mailin_custom: str | None = Field(None, alias="X-Mailin-custom")
    email: str | None = None
    reason: str | None = None
    ts_event: int | None = None


class BrevoSmsEvent(BaseModel):
    """A Brevo transactional SMS event (`msg_status`, numeric `messageId`...)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    msg_status: str = Field(min_length=1)
    message_id: int | str = Field(alias="messageId")
    to: str | None = None
    reference: str | None = None
    description: str | None = None
    reason: str | None = None


def _brevo_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "sms" if "msg_status" in value else "email"
    return "sms" if isinstance(value, BrevoSmsEvent) else "email"


BrevoEvent = Annotated[
    Annotated[BrevoEmailEvent, Tag("email")] | Annotated[BrevoSmsEvent, Tag("sms")],
    Discriminator(_brevo_kind),
]
# Brevo posts one event per request, or a list of them when batching is enabled.
BrevoWebhookBody = BrevoEvent | list[BrevoEvent]

LetterStatusName = Literal["submitted", "sent", "delivered", "undeliverable"]


class PostalLetterEvent(BaseModel):
    """A letter status change from the print-and-mail provider."""

    model_config = ConfigDict(extra="ignore")

    event_id: str | None = None
    letter_id: str = Field(min_length=1)
    status: LetterStatusName
    reason: str | None = None
    occurred_at: datetime | None = None


class EventOutcome(BaseModel):
    delivery_id: str
    event: str
    outcome: Literal["applied", "ignored"]
    status: str


class WebhookResult(BaseModel):
    results: list[EventOutcome]
