"""The one audit mechanism: an after_flush hook that logs every change of an `Audited` row,
in the flushing transaction, each entry hash-chained to the one before it."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, event, insert, inspect
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import InstanceState, Session, UOWTransaction

from vault03_api import clock
from vault03_api.audit.context import AuditContext, current
from vault03_api.audit.models import Audited, AuditEvent, AuditLog
from vault03_api.timestamps import to_text

GENESIS_HASH = "0" * 64
REDACTED = "[redacted]"
# Secrets are never logged, whichever table holds them.
ALWAYS_REDACTED = frozenset(
    {
        "password_hash",
        "totp_secret",
        "totp_pending_secret",
        "token_hash",
        "code_hash",
        "csrf_token",
        "security_stamp",
        "user_fingerprint",
    }
)
_NOTES = "vault03_audit_notes"


@dataclass(frozen=True)
class PendingEntry:
    """An audit entry before it gets its place in the chain."""

    entity_type: str
    entity_id: str | None
    action: str
    old_values: dict[str, Any] | None = None
    new_values: dict[str, Any] | None = None
    event: AuditEvent | None = None
    # Who acted, when not the running request (entries written in a batch for several).
    context: AuditContext | None = None


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the stored and hashed form of values."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(row: dict[str, Any]) -> str:
    """SHA-256 over an entry's stored content and the previous entry's hash."""
    fields = [
        row["id"],
        row["entity_type"],
        row["entity_id"],
        row["action"],
        row["changed_by"],
        row["changed_at"],
        row["old_values"],
        row["new_values"],
        row["event"],
        row["ip"],
        row["user_agent"],
        row["prev_hash"],
    ]
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


def note(session: Session, obj: object, event_name: AuditEvent) -> None:
    """Label the entry that the next flush writes for `obj` (e.g. "login_failed")."""
    session.info.setdefault(_NOTES, {})[id(obj)] = event_name


def record_read(session: Session, *, entity_type: str, entity_id: str) -> None:
    """Log a read of protected contents (action 'r'), e.g. a file download."""
    write_entries(session.connection(), [PendingEntry(entity_type, entity_id, "r", event="read")])


def record_event(
    session: Session,
    *,
    entity_type: str,
    entity_id: str | None,
    action: str,
    event_name: AuditEvent,
    new_values: dict[str, Any] | None = None,
) -> None:
    """Log something that changed no audited row (e.g. a failed login on an unknown email)."""
    entry = PendingEntry(entity_type, entity_id, action, None, new_values, event_name)
    write_entries(session.connection(), [entry])


# The chain's two statements in plain SQL on the transaction's DB-API cursor: every change of
# state runs them (each login, say), and through SQLAlchemy they cost several times the CPU,
# time the writing thread holds the GIL the event loop needs.
_LAST_ENTRY = "SELECT id, hash FROM audit_logs ORDER BY id DESC LIMIT 1"
# Compiled once from the model (columns in table order, positional parameters).
_APPEND = insert(AuditLog).compile(
    dialect=sqlite.dialect(), column_keys=[column.name for column in inspect(AuditLog).columns]
)
_APPEND_SQL, _COLUMNS = str(_APPEND), tuple(_APPEND.positiontup or ())


def write_entries(connection: Connection, entries: list[PendingEntry]) -> None:
    """Append entries to the chain; the caller's write transaction keeps the chain linear."""
    if not entries:
        return
    cursor = connection.connection.cursor()
    try:
        cursor.execute(_LAST_ENTRY)
        last = cursor.fetchone()
        next_id, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        running = current()
        changed_at = to_text(clock.utcnow())
        rows = []
        for entry in entries:
            context = entry.context or running
            row: dict[str, Any] = {
                "id": next_id,
                "entity_type": entry.entity_type,
                "entity_id": entry.entity_id,
                "action": entry.action,
                "changed_by": context.user_id,
                "changed_at": changed_at,
                "old_values": _stored(entry.old_values),
                "new_values": _stored(entry.new_values),
                "event": entry.event,
                "ip": context.ip,
                "user_agent": context.user_agent,
                "prev_hash": prev_hash,
            }
            row["hash"] = prev_hash = entry_hash(row)
            rows.append(tuple(row[column] for column in _COLUMNS))
            next_id += 1
        cursor.executemany(_APPEND_SQL, rows)
    finally:
        cursor.close()


def _stored(values: dict[str, Any] | None) -> str | None:
    return None if values is None else canonical_json(values)


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return to_text(value)
    if isinstance(value, enum.Enum):
        return _json_safe(value.value)
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    return str(value)


def _shown(obj: Audited, key: str, value: Any) -> Any:
    if key in ALWAYS_REDACTED or key in type(obj).__audit_redact__:
        return None if value is None else REDACTED
    return _json_safe(value)


def _entity_id(state: InstanceState[Any]) -> str | None:
    mapper = state.mapper
    values = [state.dict.get(mapper.get_property_by_column(col).key) for col in mapper.primary_key]
    if any(value is None for value in values):
        return None
    return ":".join(str(value) for value in values)


def _column_keys(state: InstanceState[Any]) -> list[str]:
    return [attr.key for attr in state.mapper.column_attrs]


def _snapshot(obj: Audited, state: InstanceState[Any]) -> dict[str, Any]:
    return {key: _shown(obj, key, state.dict.get(key)) for key in _column_keys(state)}


def _changes(obj: Audited, state: InstanceState[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    excluded = type(obj).__audit_exclude__
    for key in _column_keys(state):
        history = state.attrs[key].history
        if key in excluded or not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if before == after:
            continue
        old[key] = _shown(obj, key, before)
        new[key] = _shown(obj, key, after)
    return old, new


def _entry(obj: Audited, action: str, notes: dict[int, AuditEvent]) -> PendingEntry | None:
    state = inspect(obj)
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    if action == "c":
        new = _snapshot(obj, state)
    elif action == "d":
        old = _snapshot(obj, state)
    else:
        old, new = _changes(obj, state)
        if not new:
            return None
    table = state.mapper.local_table.name
    return PendingEntry(table, _entity_id(state), action, old, new, notes.pop(id(obj), None))


def _entries(session: Session) -> list[PendingEntry]:
    notes: dict[int, AuditEvent] = session.info.get(_NOTES, {})
    touched = [
        *(("c", obj) for obj in session.new),
        *(("u", obj) for obj in session.dirty if session.is_modified(obj)),
        *(("d", obj) for obj in session.deleted),
    ]
    entries = [_entry(obj, action, notes) for action, obj in touched if isinstance(obj, Audited)]
    return [entry for entry in entries if entry is not None]


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    # Still inside the flush: new/dirty/deleted and attribute history show what was written.
    write_entries(session.connection(), _entries(session))


def _forget_notes(session: Session, *args: Any) -> None:
    session.info.pop(_NOTES, None)


def install_audit_hooks() -> None:
    """Record every flush of every session from now on (idempotent): the API's start and the
    CLI's `open_database` call it, so no change is left out of the log by an import order."""
    if event.contains(Session, "after_flush", _after_flush):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_commit", _forget_notes)
    event.listen(Session, "after_soft_rollback", _forget_notes)
