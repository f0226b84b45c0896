"""Deliveries: enqueue in the caller's transaction, record what the workers report."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from pydantic import TypeAdapter
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from vault03_api import clock
from vault03_api.deliveries.models import Delivery
from vault03_common.events import (
    Channel,
    DeliveryPayload,
    DeliveryRequested,
    DeliveryStatus,
    DeliveryStatusReported,
    EmailPayload,
    PostalPayload,
    SmsPayload,
    TelegramPayload,
    status_may_follow,
)
from vault03_common.messages import DeadLetterAlert, Outgoing

log = logging.getLogger(__name__)

# Set on a session that enqueued something: after its commit, the relay is woken.
OUTBOX_DIRTY = "vault03_outbox_dirty"

_payload_adapter: TypeAdapter[DeliveryPayload] = TypeAdapter(DeliveryPayload)


def _recipient_label(payload: DeliveryPayload) -> str:
    match payload:
        case EmailPayload():
            return payload.to
        case SmsPayload():
            return payload.to
        case PostalPayload():
            return payload.address.label()
        case TelegramPayload():
            return payload.chat_id or "operators"


def enqueue_delivery(session: Session, *, outgoing: Outgoing) -> Delivery:
    """Add a delivery to the outbox; it goes out only if the caller's transaction commits."""
    payload = outgoing.payload
    delivery = Delivery(
        channel=payload.channel.value,
        kind=outgoing.kind,
        recipient=_recipient_label(payload),
        payload=payload.model_dump(mode="json"),
    )
    session.add(delivery)
    session.info[OUTBOX_DIRTY] = True
    return delivery


def delivery_event(delivery: Delivery) -> DeliveryRequested:
    """The event published for a delivery row (the row id is the event's identity)."""
    return DeliveryRequested(
        delivery_id=delivery.id,
        kind=delivery.kind,
        payload=_payload_adapter.validate_python(delivery.payload),
        occurred_at=delivery.created_at,
    )


def queued_deliveries(session: Session, *, limit: int) -> Sequence[Delivery]:
    """The oldest deliveries not yet handed to NATS."""
    statement = (
        select(Delivery)
        .where(Delivery.status == DeliveryStatus.QUEUED.value)
        .order_by(col(Delivery.created_at))
        .limit(limit)
    )
    return session.exec(statement).all()


def mark_published(session: Session, *, delivery_id: str) -> None:
    """Record the PubAck, unless a worker already reported further progress."""
    now = clock.utcnow()
    session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.PUBLISHED.value, published_at=now, updated_at=now)
    )


def record_status(session: Session, *, report: DeliveryStatusReported) -> Delivery | None:
    """Apply a worker's report; stale or replayed reports change nothing."""
    delivery = session.get(Delivery, report.delivery_id)
    if delivery is None:
        log.warning("status for an unknown delivery", extra={"delivery_id": report.delivery_id})
        return None
    delivery.attempts = max(delivery.attempts, report.attempt)
    if report.error:
        delivery.last_error = report.error
    if report.provider_message_id:
        delivery.provider_message_id = report.provider_message_id
    current = DeliveryStatus(delivery.status)
    if status_may_follow(current, report.status):
        delivery.status = report.status.value
        if report.status == DeliveryStatus.DEAD and report.channel != Channel.TELEGRAM:
            _alert_dead_letter(session, delivery=delivery)
        if report.status in _DONE:
            forget_secrets(delivery)
    delivery.updated_at = clock.utcnow()
    session.add(delivery)
    return delivery


# Once a worker is done with a message, the links and codes it carried are dropped from the
# stored payload: they exist elsewhere only hashed, and the row stays as the record of what
# was sent (and to whom) without them. A queued or retrying row still needs its payload.
_DONE = frozenset(
    {DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.DEAD}
)
SECRET_CONTEXT_KEYS = ("link", "access_code")
SECRET_TEXT_KINDS = frozenset({"access_code"})  # an SMS whose whole text is the secret
FORGOTTEN = "[sent; not kept]"


def forget_secrets(delivery: Delivery) -> None:
    """Replace the secrets in a delivery's stored payload (links, access codes)."""
    payload = dict(delivery.payload)
    context = payload.get("context")
    if isinstance(context, dict):
        payload["context"] = {
            key: FORGOTTEN if key in SECRET_CONTEXT_KEYS and value else value
            for key, value in context.items()
        }
    if delivery.kind in SECRET_TEXT_KINDS and "text" in payload:
        payload["text"] = FORGOTTEN
    if payload != delivery.payload:
        delivery.payload = payload


def _alert_dead_letter(session: Session, *, delivery: Delivery) -> None:
    text = (
        f"VAULT03: delivery {delivery.id} ({delivery.channel}, {delivery.kind}) was given up "
        f"after {delivery.attempts} attempt(s): {delivery.last_error or 'no error text'}"
    )
    enqueue_delivery(session, outgoing=DeadLetterAlert(text=text).telegram())


def find_by_provider_message_id(
    session: Session, *, channel: Channel, candidates: Sequence[str]
) -> Delivery | None:
    """The delivery of `channel` whose provider message id is one of `candidates`."""
    statement = select(Delivery).where(
        col(Delivery.channel) == channel.value,
        col(Delivery.provider_message_id).in_(list(candidates)),
    )
    return session.exec(statement).first()


def outbox_backlog(session: Session, *, now: datetime) -> tuple[int, float]:
    """How many deliveries wait for NATS, and the age in seconds of the oldest one."""
    count, oldest = session.execute(
        select(func.count(), func.min(Delivery.created_at)).where(
            Delivery.status == DeliveryStatus.QUEUED.value
        )
    ).one()
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return int(count), max(age, 0.0)


def count_by_status(session: Session) -> dict[tuple[str, str], int]:
    """Deliveries per (channel, status), for the metrics."""
    rows = session.execute(
        select(Delivery.channel, Delivery.status, func.count()).group_by(
            col(Delivery.channel), col(Delivery.status)
        )
    ).all()
    return {(channel, status): int(count) for channel, status, count in rows}
