"""Failed-login throttling per account and per client address, with a timed lockout.

An attempt is counted *before* the password is checked (so parallel guesses cannot slip past
the limit) and given back when it succeeds. Unknown accounts are throttled exactly like known
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


def _row(session: Session, key: str, now: datetime) -> LoginThrottle:
    row = session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, window_started_at=now)
    elif row.locked_until is not None and row.locked_until <= now:
        # Timed release: the lockout is over, counting starts again.
        row.failures, row.locked_until, row.window_started_at = 0, None, now
    return row


def reserve(session: Session, *, key: str, limits: Limits, now: datetime) -> Refusal | None:
    """Count an attempt in advance; a Refusal when the key is (or now becomes) locked."""
    row = _row(session, key, now)
    if row.locked_until is not None:
        return Refusal(key, _seconds(row.locked_until - now), newly=False)
    if now - row.window_started_at > limits.window:
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    refusal = None
    if row.failures > limits.max_failures:
        row.locked_until = now + limits.lockout
        refusal = Refusal(key, _seconds(limits.lockout), newly=True)
    session.add(row)
    return refusal


def confirm_failure(session: Session, *, key: str, limits: Limits, now: datetime) -> bool:
    """The counted attempt failed; True when that failure locked the key."""
    row = session.get(LoginThrottle, key)
    if row is None or row.locked_until is not None or row.failures < limits.max_failures:
        return False
    row.locked_until = now + limits.lockout
    session.add(row)
    return True


def give_back(session: Session, *, key: str) -> None:
    """The counted attempt succeeded: un-count it."""
    row = session.get(LoginThrottle, key)
    if row is not None and row.failures > 0:
        row.failures -= 1
        session.add(row)


def clear(session: Session, *, key: str) -> None:
    """Forget an account's failures after a complete login."""
    row = session.get(LoginThrottle, key)
    if row is not None and row.locked_until is None:
        session.delete(row)


def locked_until(session: Session, *, key: str) -> datetime | None:
    row = session.get(LoginThrottle, key)
    return None if row is None else row.locked_until
