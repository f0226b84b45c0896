"""Reading the audit log: filtered, newest first, paged by id; CSV export."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, inspect
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from vault03_api.audit.models import AuditLog
from vault03_api.auditlog.schemas import AuditEntryOut, AuditFilter
from vault03_api.csvtext import BATCH_ROWS, csv_text
from vault03_api.db import read_only_session

CSV_COLUMNS = tuple(column.name for column in inspect(AuditLog).columns)


def _filtered(where: AuditFilter) -> SelectOfScalar[AuditLog]:
    statement = select(AuditLog)
    if where.entity_type is not None:
        statement = statement.where(AuditLog.entity_type == where.entity_type)
    if where.entity_id is not None:
        statement = statement.where(AuditLog.entity_id == where.entity_id)
    if where.changed_by is not None:
        statement = statement.where(AuditLog.changed_by == where.changed_by)
    if where.action is not None:
        statement = statement.where(AuditLog.action == where.action)
    if where.event is not None:
        statement = statement.where(AuditLog.event == where.event)
    if where.since is not None:
        statement = statement.where(col(AuditLog.changed_at) >= where.since)
    if where.until is not None:
        statement = statement.where(col(AuditLog.changed_at) <= where.until)
    return statement


def search(
    session: Session, *, where: AuditFilter, limit: int, before_id: int | None
) -> Sequence[AuditLog]:
    """Up to `limit` matching entries older than `before_id`, newest first."""
    statement = _filtered(where)
    if before_id is not None:
        statement = statement.where(col(AuditLog.id) < before_id)
    return session.exec(statement.order_by(col(AuditLog.id).desc()).limit(limit)).all()


def entry_out(row: AuditLog) -> AuditEntryOut:
    data: dict[str, Any] = row.model_dump()
    for key in ("old_values", "new_values"):
        data[key] = None if data[key] is None else json.loads(data[key])
    return AuditEntryOut.model_validate(data)


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
