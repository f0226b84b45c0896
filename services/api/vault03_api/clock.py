"""The API's notion of now: aware UTC (stored by SQLite as UTC text, like datetime('now'))."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
