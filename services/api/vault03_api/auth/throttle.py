"""Failed-login throttling per account and per client address, with a timed lockout.

An attempt is reserved *before* the password is checked: confirmed failures plus attempts in
flight may not exceed the limit, so parallel guesses cannot slip past it, while parallel
successful logins never lock anyone out. Unknown accounts are throttled exactly like known
ones, so a lockout tells nothing about whether an account exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from vault03_api.auth.models import LoginThrottle
from vault03_api.settings import ApiSettings


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
    """An attempt refused because its key is locked; `newly` when this attempt locked it."""

    key: str
    retry_after: int
    newly: bool


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _row(session: Session, key: str, now: datetime, window: timedelta) -> LoginThrottle:
    row = session.get(LoginThrottle, key)
    if row is None:
        return LoginThrottle(key=key, failures=0, pending=0, window_started_at=now)
    released = row.locked_until is not None and row.locked_until <= now
    if released or (row.locked_until is None and now - row.window_started_at > window):
        # Timed release, or a quiet window: counting starts again (stale in-flight counts
        # of attempts that never finished are dropped too).
        row.failures, row.pending, row.locked_until, row.window_started_at = 0, 0, None, now
    return row


def reserve(session: Session, *, key: str, limits: Limits, now: datetime) -> Refusal | None:
    """Reserve an attempt; a Refusal while the key is locked or its budget is in flight."""
    row = _row(session, key, now, limits.window)
    if row.locked_until is not None:
        return Refusal(key, _seconds(row.locked_until - now), newly=False)
    if row.failures + row.pending >= limits.max_failures:
        return Refusal(key, 1, newly=False)  # the last allowed attempts are being checked
    row.pending += 1
    session.add(row)
    return None


def confirm_failure(session: Session, *, key: str, limits: Limits, now: datetime) -> bool:
    """The reserved attempt failed; True when that failure locked the key."""
    row = session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, pending=0, window_started_at=now)
    row.pending = max(0, row.pending - 1)
    row.failures += 1
    newly = row.locked_until is None and row.failures >= limits.max_failures
    if newly:
        row.locked_until = now + limits.lockout
    session.add(row)
    return newly


def give_back(session: Session, *, key: str) -> None:
    """The reserved attempt succeeded: it counts for nothing."""
    row = session.get(LoginThrottle, key)
    if row is not None and row.pending > 0:
        row.pending -= 1
        session.add(row)


def clear(session: Session, *, key: str) -> None:
    """Forget an account's failures after a complete login."""
    row = session.get(LoginThrottle, key)
    if row is not None and row.locked_until is None:
        row.failures = 0
        session.add(row)


def locked_until(session: Session, *, key: str) -> datetime | None:
    row = session.get(LoginThrottle, key)
    return None if row is None else row.locked_until
