"""Apply provider webhook events to deliveries: status forward only, replays harmless."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from prometheus_client import Counter
from sqlmodel import Session

from vault03_api.audit.models import AuditEvent
from vault03_api.audit.recorder import PendingEntry, write_entries
from vault03_api.deliveries.models import Delivery
from vault03_api.deliveries.service import find_by_provider_message_id, record_status
from vault03_api.webhooks.exceptions import UnknownMessage
from vault03_api.webhooks.schemas import (
    BrevoEmailEvent,
    BrevoSmsEvent,
    EventOutcome,
    PostalLetterEvent,
)
from vault03_common.events import (
    Channel,
    DeliveryStatus,
    DeliveryStatusReported,
    status_may_follow,
)

log = logging.getLogger(__name__)

WEBHOOK_EVENTS = Counter(
    "vault03_api_webhook_events_total",
    "Provider webhook events, by source and outcome.",
    ["source", "outcome"],
)

_DELIVERED = DeliveryStatus.DELIVERED
_FAILED = DeliveryStatus.FAILED
# Brevo email events (both spellings Brevo has used); absent or None: no status change.
BREVO_EMAIL_STATUS: dict[str, DeliveryStatus | None] = {
    "delivered": _DELIVERED,
    "opened": _DELIVERED,  # an open or a click proves delivery
    "unique_opened": _DELIVERED,
    "uniqueOpened": _DELIVERED,
    "click": _DELIVERED,
    "proxy_open": _DELIVERED,
    "unique_proxy_open": _DELIVERED,
    "hard_bounce": _FAILED,
    "hardBounce": _FAILED,
    "blocked": _FAILED,
    "invalid": _FAILED,
    "invalid_email": _FAILED,
    "error": _FAILED,
    "spam": _FAILED,  # the message went to (or was reported as) spam: not read as sent
    "soft_bounce": None,  # Brevo retries; a final failure comes as hard_bounce
    "softBounce": None,
    "deferred": None,
    "request": None,
    "sent": None,
    "unsubscribed": None,
}
BREVO_SMS_STATUS: dict[str, DeliveryStatus | None] = {
    "delivered": _DELIVERED,
    "hard_bounce": _FAILED,
    "hardBounce": _FAILED,
    "rejected": _FAILED,
    "blacklisted": _FAILED,
    "error": _FAILED,
    "soft_bounce": None,
    "softBounce": None,
    "sent": None,
    "accepted": None,
    "unsubscribed": None,
    "replied": None,
}
LETTER_STATUS: dict[str, DeliveryStatus] = {
    "submitted": DeliveryStatus.SENT,
    "sent": DeliveryStatus.SENT,  # handed to the postal service: still "sent" for us
    "delivered": _DELIVERED,
    "undeliverable": _FAILED,
}


@dataclass(frozen=True)
class _Change:
    delivery: Delivery
    event: str
    status: DeliveryStatus | None
    error: str | None


def _id_variants(message_id: str) -> list[str]:
    """Brevo writes message ids with and without angle brackets; match either."""
    bare = message_id.strip().strip("<>")
    return [message_id, bare, f"<{bare}>"]


def _email_delivery(session: Session, event: BrevoEmailEvent) -> Delivery | None:
    candidates = _id_variants(event.message_id)
    found = find_by_provider_message_id(session, channel=Channel.EMAIL, candidates=candidates)
    if found is not None or not event.mailin_custom:
        return found
    # An email accepted on a retry (idempotency key) has no messageId recorded: Brevo echoes
    # our delivery id in X-Mailin-custom, which finds it.
    delivery = session.get(Delivery, event.mailin_custom)
    if delivery is None or delivery.channel != Channel.EMAIL.value:
        return None
    if delivery.provider_message_id not in (None, *candidates):
        return None
    delivery.provider_message_id = event.message_id
    return delivery


def _brevo_change(session: Session, event: BrevoEmailEvent | BrevoSmsEvent) -> _Change | None:
    if isinstance(event, BrevoEmailEvent):
        delivery = _email_delivery(session, event)
        name, status = event.event, BREVO_EMAIL_STATUS.get(event.event)
        reason = event.reason
    else:
        delivery = find_by_provider_message_id(
            session, channel=Channel.SMS, candidates=[str(event.message_id)]
        )
        name, status = f"sms_{event.msg_status}", BREVO_SMS_STATUS.get(event.msg_status)
        reason = event.reason or event.description
    if delivery is None:
        return None
    error = f"brevo {name}: {reason or 'no reason given'}" if status == _FAILED else None
    return _Change(delivery=delivery, event=name, status=status, error=error)


def apply_brevo_events(
    session: Session, *, events: list[BrevoEmailEvent | BrevoSmsEvent]
) -> list[EventOutcome]:
    """Apply Brevo events; when one names an unknown message, none is applied."""
    changes: list[_Change] = []
    unknown: list[str] = []
    for event in events:
        change = _brevo_change(session, event)
        if change is None:
            unknown.append(
                event.message_id if isinstance(event, BrevoEmailEvent) else str(event.message_id)
            )
        else:
            changes.append(change)
    if unknown:
        WEBHOOK_EVENTS.labels("brevo", "unknown").inc(len(events))
        raise UnknownMessage("no delivery has this provider message id", detail=unknown)
    return [_apply(session, change, source="brevo") for change in changes]


def apply_postal_event(session: Session, *, event: PostalLetterEvent) -> EventOutcome:
    """Apply a letter status change from the print-and-mail provider."""
    delivery = find_by_provider_message_id(
        session, channel=Channel.POSTAL, candidates=[event.letter_id]
    )
    if delivery is None:
        WEBHOOK_EVENTS.labels("postal", "unknown").inc()
        raise UnknownMessage("no delivery has this letter id", detail=[event.letter_id])
    status = LETTER_STATUS[event.status]
    error = (
        f"letter {event.status}: {event.reason or 'no reason given'}" if status == _FAILED else None
    )
    change = _Change(delivery=delivery, event=f"letter_{event.status}", status=status, error=error)
    return _apply(session, change, source="postal")


def _apply(session: Session, change: _Change, *, source: str) -> EventOutcome:
    delivery = change.delivery
    old_status = DeliveryStatus(delivery.status)
    applies = change.status is not None and status_may_follow(old_status, change.status)
    if applies:
        assert change.status is not None
        report = DeliveryStatusReported(
            delivery_id=delivery.id,
            channel=Channel(delivery.channel),
            status=change.status,
            error=change.error,
        )
        record_status(session, report=report)
        audit_delivery_event(
            session,
            delivery=delivery,
            source=source,
            event=change.event,
            old_status=old_status,
            new_status=DeliveryStatus(delivery.status),
        )
    outcome = "applied" if applies else "ignored"
    WEBHOOK_EVENTS.labels(source, outcome).inc()
    return EventOutcome(
        delivery_id=delivery.id, event=change.event, outcome=outcome, status=delivery.status
    )


_AUDIT_EVENTS: dict[str, AuditEvent] = {"brevo": "brevo_webhook", "postal": "postal_webhook"}


def audit_delivery_event(
    session: Session,
    *,
    delivery: Delivery,
    source: str,
    event: str,
    old_status: DeliveryStatus,
    new_status: DeliveryStatus,
) -> None:
    """Append the provider's event to the audit log, in the webhook's transaction."""
    entry = PendingEntry(
        "deliveries",
        delivery.id,
        "u",
        {"status": old_status.value},
        {"status": new_status.value, "provider_event": event, "source": source},
        _AUDIT_EVENTS[source],
    )
    write_entries(session.connection(), [entry])
    log.info(
        "delivery webhook event",
        extra={"delivery_id": delivery.id, "source": source, "event": event},
    )
