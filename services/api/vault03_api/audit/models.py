"""The `audit_logs` table and the mixin that makes a table audited."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from vault03_api.timestamps import utc_field


class Audited:
    """Mix into a SQLModel table: each insert ('c'), update ('u') and delete ('d') is logged.

    `__audit_exclude__` names columns whose changes alone are not worth an entry (e.g. a
    last-seen time); `__audit_redact__` names columns logged only as "[redacted]".
    """

    __audit_exclude__: ClassVar[frozenset[str]] = frozenset()
    __audit_redact__: ClassVar[frozenset[str]] = frozenset()


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_logs"

    # Chain order; assigned by the recorder inside the write transaction, never reused.
    id: int = Field(primary_key=True)
    entity_type: str = Field(index=True)
    entity_id: str | None = Field(default=None, index=True)
    action: str = Field(max_length=1, description="c, u, d, or r (a read of file contents)")
    changed_by: int | None = Field(default=None, index=True)
    changed_at: datetime = utc_field(index=True)
    old_values: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    new_values: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    event: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    prev_hash: str
    hash: str = Field(unique=True)
