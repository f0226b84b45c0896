"""Event schemas exchanged over NATS: delivery requests (api -> workers) and status reports back."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vault03_common.address import PostalAddress

SCHEMA_VERSION = 1


def field_errors(exc: ValidationError) -> str:
    """Each field a validation error names, with what is wrong with it."""
    return ", ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'message'} ({error['msg']})"
        for error in exc.errors()
    )


def newer_version_note(schema_version: object) -> str:
    """Words for an error: whether the sender wrote a schema version newer than ours."""
    if isinstance(schema_version, int) and schema_version > SCHEMA_VERSION:
        return f" (schema version {schema_version} is newer than this worker's {SCHEMA_VERSION})"
    return ""


def unreadable_event(data: bytes, exc: ValidationError) -> str:
    """Why an event could not be read: its wrong fields, and its version when newer."""
    try:
        declared = json.loads(data).get("schema_version")
    except (ValueError, AttributeError):
        declared = None
    return f"unreadable delivery event: {field_errors(exc)}{newer_version_note(declared)}"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    POSTAL = "postal"
    TELEGRAM = "telegram"


class DeliveryStatus(StrEnum):
    """Lifecycle of a delivery; the API records each report and never moves backwards."""

    QUEUED = "queued"  # written to the outbox, not yet on NATS
    PUBLISHED = "published"  # JetStream acknowledged it
    RETRYING = "retrying"  # a worker met a transient failure and will try again
    SENT = "sent"  # the provider (or local sink) accepted it
    DELIVERED = "delivered"  # the provider confirmed delivery to the recipient
    FAILED = "failed"  # permanent failure reported by the provider after sending
    DEAD = "dead"  # the worker gave up: permanent error or attempts exhausted


TERMINAL_STATUSES = frozenset(
    {DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.DEAD}
)
_RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.PUBLISHED: 1,
    DeliveryStatus.RETRYING: 2,
    DeliveryStatus.SENT: 3,
    DeliveryStatus.DELIVERED: 4,
    DeliveryStatus.FAILED: 4,
    DeliveryStatus.DEAD: 4,
}


def status_may_follow(current: DeliveryStatus, new: DeliveryStatus) -> bool:
    """Whether a report of `new` may replace `current` (late or replayed reports are ignored)."""
    if current in TERMINAL_STATUSES:
        return False
    if current == DeliveryStatus.RETRYING and new == DeliveryStatus.RETRYING:
        return True
    return _RANK[new] > _RANK[current]


def _now() -> datetime:
    return datetime.now(UTC)


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    schema_version: int = SCHEMA_VERSION
    occurred_at: datetime = Field(default_factory=_now)


class EmailPayload(BaseModel):
    channel: Literal[Channel.EMAIL] = Channel.EMAIL
    to: str
    to_name: str | None = None
    template: str
    subject: str
    context: dict[str, Any] = Field(default_factory=dict)


class SmsPayload(BaseModel):
    channel: Literal[Channel.SMS] = Channel.SMS
    to: str = Field(pattern=r"^\+[1-9]\d{6,14}$", description="E.164")
    text: str


class PostalPayload(BaseModel):
    channel: Literal[Channel.POSTAL] = Channel.POSTAL
    address: PostalAddress
    template: str
    context: dict[str, Any] = Field(default_factory=dict)


class TelegramPayload(BaseModel):
    channel: Literal[Channel.TELEGRAM] = Channel.TELEGRAM
    text: str
    chat_id: str | None = None  # None: the operators' configured chat(s)


DeliveryPayload = Annotated[
    EmailPayload | SmsPayload | PostalPayload | TelegramPayload, Field(discriminator="channel")
]


class DeliveryRequested(_Event):
    """The API asks a channel worker to send one message."""

    delivery_id: str
    kind: str = Field(description="What the message is for, e.g. share_link, access_code")
    payload: DeliveryPayload

    @property
    def channel(self) -> Channel:
        return self.payload.channel


class DeliveryStatusReported(_Event):
    """A worker (or provider webhook) reports what happened to a delivery."""

    delivery_id: str
    channel: Channel
    status: DeliveryStatus
    attempt: int = 0
    provider_message_id: str | None = None
    error: str | None = None
