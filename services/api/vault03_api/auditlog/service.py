"""Reading the audit log: filtered, newest first, paged by id, its entries named in words
(who did it, to what); a customer's timeline; CSV export."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, String, and_, cast, func, inspect, not_, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from vault03_api.audit.models import AuditLog
from vault03_api.auditlog.schemas import (
    AuditEntryOut,
    AuditFilter,
    TimelineDelivery,
    TimelineItem,
    TimelinePage,
)
from vault03_api.auth.models import User
from vault03_api.csvtext import BATCH_ROWS, csv_text
from vault03_api.customers.models import Customer
from vault03_api.db import read_only_session
from vault03_api.deliveries.models import Delivery
from vault03_api.shares.models import Share, ShareAccess, ShareDelivery, ShareReminderSent
from vault03_api.shares.views import delivery_out
from vault03_api.vaults.models import StoredFile, Vault

CSV_COLUMNS = tuple(column.name for column in inspect(AuditLog).columns)


def _among(entity_type: str, ids: Any) -> ColumnElement[bool]:
    return and_(col(AuditLog.entity_type) == entity_type, col(AuditLog.entity_id).in_(ids))


def _about_customer(customer_id: int) -> ColumnElement[bool]:
    vaults = select(Vault.id).where(Vault.customer_id == customer_id)
    shares = select(Share.id).where(Share.customer_id == customer_id)
    return or_(
        and_(col(AuditLog.entity_type) == "customers", col(AuditLog.entity_id) == str(customer_id)),
        _among("vaults", select(cast(Vault.id, String)).where(Vault.customer_id == customer_id)),
        _among("files", select(StoredFile.id).where(col(StoredFile.vault_id).in_(vaults))),
        _among("shares", select(cast(Share.id, String)).where(Share.customer_id == customer_id)),
        _among(
            "share_access",
            select(cast(ShareAccess.id, String)).where(col(ShareAccess.share_id).in_(shares)),
        ),
        _among(
            "share_reminders",
            select(cast(ShareReminderSent.id, String)).where(
                col(ShareReminderSent.share_id).in_(shares)
            ),
        ),
        # Portal sessions are deleted when they end: found by the share in their values.
        and_(
            col(AuditLog.entity_type) == "portal_sessions",
            func.json_extract(
                func.coalesce(AuditLog.new_values, AuditLog.old_values), "$.share_id"
            ).in_(shares),
        ),
    )


def _repeats() -> ColumnElement[bool]:
    """Entries another entry already says in words (see AuditFilter.summary); null-safe."""
    event = func.coalesce(AuditLog.event, "")
    stage = func.coalesce(func.json_extract(AuditLog.new_values, "$.stage"), "")
    return or_(
        col(AuditLog.entity_type) == "portal_sessions",
        and_(
            col(AuditLog.entity_type) == "files",
            col(AuditLog.changed_by).is_(None),
            or_(event == "read", col(AuditLog.action) == "c"),
        ),
        and_(col(AuditLog.entity_type) == "sessions", stage != "full", event != "logout"),
        # Ten rows of new recovery codes each time: the user's totp_enrolled entry says it.
        and_(col(AuditLog.entity_type) == "recovery_codes", col(AuditLog.action) == "c"),
    )


def _filtered(where: AuditFilter) -> SelectOfScalar[AuditLog]:
    statement = select(AuditLog)
    if where.entity_type is not None:
        statement = statement.where(col(AuditLog.entity_type) == where.entity_type)
    if where.entity_id is not None:
        statement = statement.where(col(AuditLog.entity_id) == where.entity_id)
    if where.changed_by is not None:
        statement = statement.where(AuditLog.changed_by == where.changed_by)
    if where.customer_id is not None:
        statement = statement.where(_about_customer(where.customer_id))
    if where.action is not None:
        statement = statement.where(col(AuditLog.action) == where.action)
    if where.event is not None:
        statement = statement.where(AuditLog.event == where.event)
    if where.since is not None:
        statement = statement.where(col(AuditLog.changed_at) >= where.since)
    if where.until is not None:
        statement = statement.where(col(AuditLog.changed_at) <= where.until)
    if where.summary:
        statement = statement.where(not_(_repeats()))
    return statement


def search(
    session: Session, *, where: AuditFilter, limit: int, before_id: int | None
) -> Sequence[AuditLog]:
    """Up to `limit` matching entries older than `before_id`, newest first."""
    statement = _filtered(where)
    if before_id is not None:
        statement = statement.where(col(AuditLog.id) < before_id)
    return session.exec(statement.order_by(col(AuditLog.id).desc()).limit(limit)).all()


# --- entries in words --------------------------------------------------------------------


def _values(row: AuditLog) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    return (
        None if row.old_values is None else json.loads(row.old_values),
        None if row.new_values is None else json.loads(row.new_values),
    )


def _value(values: tuple[dict[str, Any] | None, dict[str, Any] | None], key: str) -> Any:
    new, old = values[1] or {}, values[0] or {}
    return new.get(key, old.get(key))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _names(session: Session, model: Any, column: Any, ids: Iterable[Any]) -> dict[Any, Any]:
    wanted = {value for value in ids if value is not None}
    if not wanted:
        return {}
    key = inspect(model).primary_key[0]
    rows = session.exec(select(key, column).where(key.in_(wanted))).all()
    return {row[0]: row[1] for row in rows}


def _portal_files(session: Session, rows: list[AuditLog]) -> dict[int, int]:
    """{audit id: share id} for file reads and writes that came through a share's link: the
    access log line of the same file just before (or with) them."""
    wanted = [row for row in rows if row.entity_type == "files" and row.changed_by is None]
    if not wanted:
        return {}
    lines: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for file_id, at, share_id in session.exec(
        select(ShareAccess.file_id, ShareAccess.at, ShareAccess.share_id)
        .where(col(ShareAccess.file_id).in_({row.entity_id for row in wanted}))
        .where(col(ShareAccess.event).in_(["download", "upload"]))
        .order_by(col(ShareAccess.id))
    ).all():
        if file_id is not None:
            lines[file_id].append((at, share_id))
    found: dict[int, int] = {}
    for row in wanted:
        before = [share for at, share in lines.get(row.entity_id or "", []) if at <= row.changed_at]
        if before:
            found[row.id] = before[-1]
    return found


def entries_out(session: Session, rows: Sequence[AuditLog]) -> list[AuditEntryOut]:
    """The entries with who did it and to what, by name, looked up for the whole page at once."""
    rows = list(rows)
    values = {row.id: _values(row) for row in rows}
    by_file = _portal_files(session, rows)
    staff_of: dict[int, int | None] = {}
    share_of: dict[int, int | None] = {}
    for row in rows:
        both = values[row.id]
        staff_of[row.id] = row.changed_by
        if row.entity_type == "sessions" and row.changed_by is None:
            staff_of[row.id] = _int(_value(both, "user_id"))
        if row.entity_type in ("share_access", "portal_sessions", "share_reminders"):
            share_of[row.id] = _int(_value(both, "share_id"))
        elif row.entity_type == "shares":
            share_of[row.id] = _int(row.entity_id)
        elif row.id in by_file:
            share_of[row.id] = by_file[row.id]
    ids_of = defaultdict(set)
    for row in rows:
        ids_of[row.entity_type].add(row.entity_id)
    staff = _names(session, User, User.name, [*staff_of.values(), *map(_int, ids_of["users"])])
    shares = {
        share.id: share
        for share in session.exec(
            select(Share).where(col(Share.id).in_({s for s in share_of.values() if s}))
        ).all()
    }
    labels: dict[str, dict[Any, Any]] = {
        "customers": _names(session, Customer, Customer.name, map(_int, ids_of["customers"])),
        "vaults": _names(
            session,
            Vault,
            Vault.name,
            [*map(_int, ids_of["vaults"]), *(share.vault_id for share in shares.values())],
        ),
        "files": _names(session, StoredFile, StoredFile.name, ids_of["files"]),
    }
    out = []
    for row in rows:
        data: dict[str, Any] = row.model_dump()
        data["old_values"], data["new_values"] = values[row.id]
        share = shares.get(share_of.get(row.id) or 0)
        staff_id = staff_of[row.id]
        if staff_id is not None:
            data["actor"], data["actor_kind"] = staff.get(staff_id), "staff"
        elif share is not None and row.entity_type not in ("shares", "share_reminders"):
            data["actor"], data["actor_kind"] = share.recipient_name, "recipient"
        data["recipient"] = share.recipient_name if share else None
        data["subject"] = _subject(row, values[row.id], labels, staff, share)
        out.append(AuditEntryOut.model_validate(data))
    return out


def _subject(
    row: AuditLog,
    values: tuple[dict[str, Any] | None, dict[str, Any] | None],
    labels: dict[str, dict[Any, Any]],
    staff: dict[Any, Any],
    share: Share | None,
) -> str | None:
    if row.entity_type == "share_access":
        return _text(_value(values, "file_name"))
    if row.entity_type in ("shares", "share_reminders") and share is not None:
        return labels["vaults"].get(share.vault_id)
    if row.entity_type == "users":
        return _text(staff.get(_int(row.entity_id)) or _value(values, "name"))
    key = row.entity_id if row.entity_type == "files" else _int(row.entity_id)
    return _text(labels.get(row.entity_type, {}).get(key) or _value(values, "name"))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# --- a customer's timeline ---------------------------------------------------------------


def timeline(
    session: Session, *, customer_id: int, limit: int, before_id: int | None, summary: bool
) -> TimelinePage:
    """What happened for a customer, newest first: the audit entries about it, and between
    them the messages sent for its shares with their status. A page holds `limit` entries and
    the messages of the time they span (up to the previous page's last entry), so every
    message shows on exactly one page."""
    rows = search(
        session,
        where=AuditFilter(customer_id=customer_id, summary=summary),
        limit=limit,
        before_id=before_id,
    )
    full = len(rows) == limit
    statement = (
        select(ShareDelivery, Delivery, Share)
        .join(Delivery, col(Delivery.id) == col(ShareDelivery.delivery_id))
        .join(Share, col(Share.id) == col(ShareDelivery.share_id))
        .where(Share.customer_id == customer_id)
    )
    if before_id is not None:
        newer = session.get(AuditLog, before_id)
        if newer is not None:
            statement = statement.where(col(Delivery.created_at) < newer.changed_at)
    if full:
        statement = statement.where(col(Delivery.created_at) >= rows[-1].changed_at)
    # Newest first; a message shows just above the change of its share that sent it.
    ordered = [
        ((row.changed_at, row.id, 0), TimelineItem(at=row.changed_at, entry=entry))
        for row, entry in zip(rows, entries_out(session, rows), strict=True)
    ]
    for link, delivery, share in session.exec(statement).all():
        assert share.id is not None
        cause = max(
            (
                row.id
                for row in rows
                if _sends(row, share.id) and row.changed_at <= delivery.created_at
            ),
            default=0,
        )
        out = TimelineDelivery(**delivery_out(link, delivery).model_dump(), share_id=share.id)
        item = TimelineItem(at=delivery.created_at, delivery=out)
        ordered.append(((delivery.created_at, cause, 1), item))
    ordered.sort(key=lambda pair: pair[0], reverse=True)
    items = [item for _, item in ordered]
    return TimelinePage(items=items, next_before_id=rows[-1].id if full else None)


def _sends(row: AuditLog, share_id: int) -> bool:
    """Whether the entry is a change of the share that sends messages (made, resent), or a
    reminder recorded for it."""
    if row.entity_type == "share_reminders" and row.new_values is not None:
        return bool(json.loads(row.new_values).get("share_id") == share_id)
    if row.entity_type != "shares" or row.entity_id != str(share_id):
        return False
    return row.action == "c" or row.event in ("link_resent", "code_resent", "reissued")


# --- CSV ---------------------------------------------------------------------------------


def csv_rows(engine: Engine, *, where: AuditFilter) -> Iterator[str]:
    """The matching entries as CSV text, header first, newest first, read in batches."""
    return csv_text(CSV_COLUMNS, _csv_batches(engine, where=where))


def _csv_batches(engine: Engine, *, where: AuditFilter) -> Iterator[list[list[Any]]]:
    before_id: int | None = None
    while True:
        with read_only_session(engine) as session:
            rows = search(session, where=where, limit=BATCH_ROWS, before_id=before_id)
            values = [[_csv_value(getattr(row, column)) for column in CSV_COLUMNS] for row in rows]
        if not values:
            return
        yield values
        before_id = values[-1][0]


def _csv_value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return "" if value is None else value
