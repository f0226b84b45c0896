"""Reminders of shares still waiting for their recipient, sent by the API's housekeeping (and
`vault03 shares remind`).

A share waits while it is open (not revoked, not expired, its vault not deleted) and its
recipient has not acted: a file request (upload-only) until a document comes back, any other
share until the access code is first entered. Then:

- the recipient is reminded `share_reminder_after_days` after the link was sent (after the
  code letter is expected to arrive, when the code goes by post) and as long after each
  reminder, at most `share_reminder_max_count` times, by email, and by SMS too when the code
  went by SMS. A reminder carries no link or code: it names the email that did.
- the share's creator is told `share_expiry_warning_days` before it expires, once per expiry
  (an extended share is warned of again).

Each one is a row of `share_reminders` (audited) written in the transaction that queues its
messages, unique per share, kind and due time: a reminder goes out at most once per due time,
across restarts and runs that race (the loser's insert fails and its messages roll back).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from vault03_api import clock
from vault03_api.audit.models import AuditEvent
from vault03_api.audit.recorder import note as audit_note
from vault03_api.customers.models import CodeChannel
from vault03_api.db import read_only_session, session_scope
from vault03_api.deliveries.service import enqueue_delivery
from vault03_api.settings import ApiSettings
from vault03_api.shares.messages import is_file_request, share_creator
from vault03_api.shares.models import (
    AccessEvent,
    ReminderKind,
    Share,
    ShareAccess,
    ShareDelivery,
    ShareReminderSent,
)
from vault03_api.shown import console_url
from vault03_api.vaults.models import Vault
from vault03_common.messages import ShareExpiryWarning, ShareReminder, share_subject

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Due:
    """A reminder whose time has come: which share, which kind, due since when."""

    share_id: int
    kind: ReminderKind
    due_at: datetime


@dataclass(frozen=True)
class _Facts:
    """What decides a share's reminders besides the share itself."""

    acted: bool  # the recipient opened it (or, for a file request, sent a document)
    vault_live: bool
    has_creator: bool
    sent: tuple[ShareReminderSent, ...]


def _recipient_due(share: Share, facts: _Facts, *, settings: ApiSettings) -> datetime | None:
    reminders = [r for r in facts.sent if r.kind == ReminderKind.RECIPIENT]
    if settings.share_reminder_after_days == 0:
        return None
    if len(reminders) >= settings.share_reminder_max_count:
        return None
    since = max([share.issued_at, *(r.sent_at for r in reminders)])
    if share.code_channel == CodeChannel.POSTAL and not reminders:
        arrival = share.created_at + timedelta(days=settings.postal_delivery_days)
        since = max(since, arrival)
    return since + timedelta(days=settings.share_reminder_after_days)


def _expiry_due(share: Share, facts: _Facts, *, settings: ApiSettings) -> datetime | None:
    if settings.share_expiry_warning_days == 0 or not facts.has_creator:
        return None
    due = share.expires_at - timedelta(days=settings.share_expiry_warning_days)
    if due <= share.created_at:
        return None  # a share made for less than the warning's notice: its creator knows
    warned = any(r.kind == ReminderKind.EXPIRY and r.due_at == due for r in facts.sent)
    return None if warned else due


def _due(share: Share, facts: _Facts, *, settings: ApiSettings, now: datetime) -> list[Due]:
    if share.revoked_at is not None or now >= share.expires_at or not facts.vault_live:
        return []
    if facts.acted:
        return []
    assert share.id is not None
    found = []
    for kind, due_at in (
        (ReminderKind.RECIPIENT, _recipient_due(share, facts, settings=settings)),
        (ReminderKind.EXPIRY, _expiry_due(share, facts, settings=settings)),
    ):
        if due_at is not None and due_at <= now:
            found.append(Due(share.id, kind, due_at))
    return found


def _facts(session: Session, shares: list[Share]) -> dict[int, _Facts]:
    ids = [share.id for share in shares if share.id is not None]
    if not ids:
        return {}
    acts: dict[int, set[str]] = defaultdict(set)
    for share_id, event in session.exec(
        select(ShareAccess.share_id, ShareAccess.event)
        .where(
            col(ShareAccess.share_id).in_(ids),
            ShareAccess.outcome == "ok",
            col(ShareAccess.event).in_([AccessEvent.CODE.value, AccessEvent.UPLOAD.value]),
        )
        .distinct()
    ).all():
        acts[share_id].add(event)
    sent: dict[int, list[ShareReminderSent]] = defaultdict(list)
    for row in session.exec(
        select(ShareReminderSent).where(col(ShareReminderSent.share_id).in_(ids))
    ).all():
        sent[row.share_id].append(row)
    vault_ids = {share.vault_id for share in shares}
    live_vaults = set(
        session.exec(
            select(Vault.id).where(col(Vault.id).in_(vault_ids), col(Vault.deleted_at).is_(None))
        ).all()
    )
    facts = {}
    for share in shares:
        assert share.id is not None
        awaited = AccessEvent.UPLOAD if is_file_request(share) else AccessEvent.CODE
        facts[share.id] = _Facts(
            acted=awaited.value in acts[share.id],
            vault_live=share.vault_id in live_vaults,
            has_creator=share_creator(session, share) is not None,
            sent=tuple(sent[share.id]),
        )
    return facts


def due_reminders(session: Session, *, settings: ApiSettings, now: datetime) -> list[Due]:
    """Every reminder due now, over the shares still open."""
    shares = list(
        session.exec(
            select(Share).where(col(Share.revoked_at).is_(None), col(Share.expires_at) > now)
        ).all()
    )
    facts = _facts(session, shares)
    return [
        due
        for share in shares
        for due in _due(share, facts[share.id or 0], settings=settings, now=now)
    ]


def send_reminder(session: Session, *, due: Due, settings: ApiSettings, now: datetime) -> bool:
    """Send one reminder if it is still due (decided again in this write), recording it in the
    same transaction; False when it no longer is. A run that recorded it meanwhile makes the
    flush raise IntegrityError, and the caller's rollback takes the messages back."""
    share = session.get(Share, due.share_id)
    if share is None:
        return False
    still = _due(share, _facts(session, [share])[due.share_id], settings=settings, now=now)
    if due not in still:
        return False
    vault = session.get(Vault, share.vault_id)
    assert vault is not None
    if due.kind == ReminderKind.RECIPIENT:
        sent_to = _remind_recipient(session, share=share, vault=vault, settings=settings)
        event: AuditEvent = "reminder_sent"
    else:
        sent_to = _warn_creator(session, share=share, vault=vault, settings=settings)
        event = "expiry_warning_sent"
    row = ShareReminderSent(
        share_id=due.share_id, kind=due.kind.value, due_at=due.due_at, sent_at=now, sent_to=sent_to
    )
    session.add(row)
    audit_note(session, row, event)
    session.flush()
    return True


def _remind_recipient(
    session: Session, *, share: Share, vault: Vault, settings: ApiSettings
) -> str:
    request = is_file_request(share)
    message = ShareReminder(
        office=settings.office,
        language=share.language,
        vault_name=vault.name,
        link_sent_at=share.issued_at,
        link_subject=share_subject(
            vault_name=vault.name, file_request=request, language=share.language
        ),
        code_channel=CodeChannel(share.code_channel).value,
        expires_at=share.expires_at,
        file_request=request,
    )
    outgoing = [message.email(to=share.recipient_email, to_name=share.recipient_name)]
    if share.code_channel == CodeChannel.SMS and share.recipient_mobile:
        outgoing.append(message.sms(to=share.recipient_mobile))
    assert share.id is not None
    for each in outgoing:
        delivery = enqueue_delivery(session, outgoing=each)
        session.add(ShareDelivery(delivery_id=delivery.id, share_id=share.id, purpose="reminder"))
    return share.recipient_email


def _warn_creator(session: Session, *, share: Share, vault: Vault, settings: ApiSettings) -> str:
    creator = share_creator(session, share)
    assert creator is not None  # a share without one is never due a warning
    message = ShareExpiryWarning(
        office=settings.office,
        vault_name=vault.name,
        recipient_name=share.recipient_name,
        expires_at=share.expires_at,
        console_url=console_url(settings, f"/shares/{share.id}"),
        file_request=is_file_request(share),
    )
    enqueue_delivery(session, outgoing=message.email(to=creator.email, to_name=creator.name))
    return creator.email


def send_due_reminders(engine: Engine, *, settings: ApiSettings) -> int:
    """One round: find what is due on a snapshot, then send each in its own short write.
    Returns how many were sent."""
    now = clock.utcnow()
    with read_only_session(engine) as session:
        found = due_reminders(session, settings=settings, now=now)
    return sum(_send_one(engine, due=due, settings=settings, now=now) for due in found)


def _send_one(engine: Engine, *, due: Due, settings: ApiSettings, now: datetime) -> bool:
    try:
        with session_scope(engine) as session:
            return send_reminder(session, due=due, settings=settings, now=now)
    except IntegrityError:
        log.info(
            "a reminder was sent by another run",
            extra={"share_id": due.share_id, "kind": due.kind.value},
        )
        return False
