"""Failed-login throttling per account and per client address, with a timed lockout.

Confirmed failures and lockouts live in `login_throttles` (they survive restarts). Attempts
still being checked are counted in memory (the API is the database's only process): failures
plus attempts in flight may not exceed the limit, so parallel guesses cannot slip past it,
while parallel successful logins never lock anyone out. Unknown accounts are throttled exactly
like known ones, so a lockout tells nothing about whether an account exists.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from sqlalchemy.engine.interfaces import DBAPICursor
from sqlmodel import Session

from vault03_api.auth.models import LoginThrottle
from vault03_api.inflight import InFlight
from vault03_api.settings import ApiSettings
from vault03_api.timestamps import from_text


@dataclass(frozen=True)
class Limits:
    max_failures: int
    window: timedelta
    lockout: timedelta


def account_key(email: str) -> str:
    return f"account:{email}"


def ip_key(ip: str | None) -> str:
    return f"ip:{ip or 'unknown'}"


def account_limits(settings: ApiSettings) -> Limits:
    return Limits(
        settings.login_account_max_failures,
        timedelta(minutes=settings.login_failure_window_minutes),
        timedelta(minutes=settings.login_lockout_minutes),
    )


def ip_limits(settings: ApiSettings) -> Limits:
    return Limits(
        settings.login_ip_max_failures,
        timedelta(minutes=settings.login_failure_window_minutes),
        timedelta(minutes=settings.login_lockout_minutes),
    )


@dataclass(frozen=True)
class Refusal:
    """An attempt refused: the key is locked, or its last allowed attempts are in flight."""

    key: str
    retry_after: int


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


class ThrottleState(Protocol):
    """A login_throttles row: an ORM object, or a plain row read by `reserve`."""

    @property
    def failures(self) -> int: ...
    @property
    def window_started_at(self) -> datetime: ...
    @property
    def locked_until(self) -> datetime | None: ...


def _current(
    row: ThrottleState | None, limits: Limits, now: datetime
) -> tuple[int, datetime | None]:
    """(failures that count, locked until) after a timed release or a quiet window."""
    if row is None:
        return 0, None
    if row.locked_until is not None:
        return (0, None) if row.locked_until <= now else (row.failures, row.locked_until)
    if now - row.window_started_at > limits.window:
        return 0, None
    return row.failures, None


class _ThrottleRow(NamedTuple):
    failures: int
    window_started_at: datetime
    locked_until: datetime | None


def _throttle_rows(cursor: DBAPICursor, keys: list[str]) -> dict[str, _ThrottleRow]:
    cursor.execute(
        "SELECT key, failures, window_started_at, locked_until FROM login_throttles"
        " WHERE key IN (SELECT value FROM json_each(?))",
        (json.dumps(keys),),
    )
    return {
        key: _ThrottleRow(failures, from_text(started), None if until is None else from_text(until))
        for key, failures, started, until in cursor.fetchall()
    }


def reserve(
    cursor: DBAPICursor,
    *,
    checks: tuple[tuple[str, Limits], ...],
    in_flight: InFlight,
    now: datetime,
) -> Refusal | None:
    """Refuse while a key is locked; else reserve an attempt on every key (read-only)."""
    rows = _throttle_rows(cursor, [key for key, _ in checks])
    budgets = {}
    for key, limits in checks:
        failures, locked = _current(rows.get(key), limits, now)
        if locked is not None:
            return Refusal(key, _seconds(locked - now))
        budgets[key] = limits.max_failures - failures
    if not in_flight.reserve(budgets):
        return Refusal(checks[0][0], 1)
    return None


def locked(session: Session, *, key: str, limits: Limits, now: datetime) -> Refusal | None:
    """A Refusal while `key` is locked."""
    _, until = _current(session.get(LoginThrottle, key), limits, now)
    return None if until is None else Refusal(key, _seconds(until - now))


def record_failure(session: Session, *, key: str, limits: Limits, now: datetime) -> bool:
    """Count a failure; True when it locked the key."""
    row = session.get(LoginThrottle, key)
    failures, until = _current(row, limits, now)
    if row is None:
        row = LoginThrottle(key=key, failures=0, window_started_at=now)
    if failures == 0:
        row.window_started_at = now
    row.failures, row.locked_until = failures + 1, until
    newly = until is None and row.failures >= limits.max_failures
    if newly:
        row.locked_until = now + limits.lockout
    session.add(row)
    return newly


def clear(session: Session, *, key: str) -> None:
    """Forget an account's failures after a complete login."""
    row = session.get(LoginThrottle, key)
    if row is not None and row.locked_until is None and row.failures:
        row.failures = 0
        session.add(row)


def locked_until(session: Session, *, key: str) -> datetime | None:
    row = session.get(LoginThrottle, key)
    return None if row is None else row.locked_until
