"""Timestamps stored as UTC text `YYYY-MM-DD HH:MM:SS.ffffff`: they sort as text, read well in
the sqlite3 shell, compare with SQLite's datetime('now'), and come back as aware datetimes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator
from sqlalchemy import Column, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

from vault03_api import clock

TEXT_FORMAT = "%Y-%m-%d %H:%M:%S.%f"

_DATE_AND_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _date_and_time_text(value: Any) -> Any:
    # Pydantic would also take a bare number (seconds since 1970) or a date alone; the
    # OpenAPI document promises RFC 3339 date-times, so only those pass.
    if isinstance(value, datetime) or (isinstance(value, str) and _DATE_AND_TIME.match(value)):
        return value
    raise ValueError("expected a date and time, e.g. 2026-12-31T18:00:00Z")


DATE_AND_TIME_TEXT = BeforeValidator(_date_and_time_text)
"""Refuses what is not RFC 3339 date-time text: `Annotated[AwareDatetime, DATE_AND_TIME_TEXT]`."""

IsoDateTime = Annotated[datetime, DATE_AND_TIME_TEXT]
"""A datetime a client sends: RFC 3339 text only."""


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
