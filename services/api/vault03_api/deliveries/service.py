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
from vault03_api.deliveries.sealed import open_payload, seal_payload, without_secrets
from vault03_api.keyring import KeyRing
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


def enqueue_delivery(
    session: Session, *, outgoing: Outgoing, ring: KeyRing | None = None
) -> Delivery:
    """Add a delivery to the outbox; it goes out only if the caller's transaction commits.

    A message carrying a link or an access code is stored sealed under `ring` (required
    then), and in clear only without them (see deliveries.sealed)."""
    payload = outgoing.payload
    full = payload.model_dump(mode="json")
    kept = without_secrets(outgoing.kind, full)
    delivery = Delivery(
        channel=payload.channel.value,
        kind=outgoing.kind,
        recipient=_recipient_label(payload),
        payload=kept,
    )
    if kept != full:
        if ring is None:
            raise ValueError(f"a {outgoing.kind!r} message carries a secret: pass the key ring")
        delivery.sealed = seal_payload(ring, delivery_id=delivery.id, payload=full)
    session.add(delivery)
    session.info[OUTBOX_DIRTY] = True
    return delivery


def delivery_event(delivery: Delivery, *, ring: KeyRing) -> DeliveryRequested:
    """The event published for a delivery row (the row id is the event's identity)."""
    payload = (
        delivery.payload
        if delivery.sealed is None
        else open_payload(ring, delivery_id=delivery.id, sealed=delivery.sealed)
    )
    return DeliveryRequested(
        delivery_id=delivery.id,
        kind=delivery.kind,
        payload=_payload_adapter.validate_python(payload),
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
            delivery.sealed = None  # the worker is done: the links and codes go
            kept = without_secrets(delivery.kind, delivery.payload)  # rows queued before 0012
            if kept != delivery.payload:
                delivery.payload = kept
    delivery.updated_at = clock.utcnow()
    session.add(delivery)
    return delivery


# Once a worker is done with a message, its sealed payload is dropped; the row stays as the
# record of what was sent (and to whom). A queued or retrying row still needs it.
_DONE = frozenset(
    {DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.DEAD}
)


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


def dead_letters(session: Session, *, limit: int) -> Sequence[Delivery]:
    """The deliveries a worker gave up on, most recent first."""
    statement = (
        select(Delivery)
        .where(Delivery.status == DeliveryStatus.DEAD.value)
        .order_by(col(Delivery.updated_at).desc())
        .limit(limit)
    )
    return session.exec(statement).all()
