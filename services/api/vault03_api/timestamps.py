"""Timestamps stored as UTC text `YYYY-MM-DD HH:MM:SS.ffffff`: they sort as text, read well in
the sqlite3 shell, compare with SQLite's datetime('now'), and come back as aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

from vault03_api import clock

TEXT_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def to_text(value: datetime) -> str:
    """The stored form of an aware datetime (naive ones are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime(TEXT_FORMAT)


def from_text(value: str) -> datetime:
    """Parse the stored form, also SQLite's own `datetime('now')` text."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime kept as sortable text."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else to_text(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_text(str(value))


def now() -> datetime:
    """clock.utcnow() looked up at call time, so tests that patch the clock are obeyed."""
    return clock.utcnow()


def utc_field(*, nullable: bool = False, index: bool = False, default_now: bool = False) -> Any:
    """A SQLModel field stored as UtcDateTime; `default_now` fills it from the clock."""
    column: Column[datetime] = Column(UtcDateTime(), nullable=nullable, index=index)
    if default_now:
        return Field(default_factory=now, sa_column=column)
    return Field(default=None, sa_column=column)
