"""Browser sessions and API tokens: issued hashed, checked against the user row on every use.

The user row is read on every request, so a raw SQL change (the operations guide's disable
or 2FA reset) takes effect on the very next request: a session remembers a fingerprint of the
user's credential state (security stamp, 2FA switch and secret) and dies when it changes.
Triggers in the database (migration 0006) give a user a new security stamp when the account
is disabled or its 2FA reset, however that is done, so enabling it again revives nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlmodel import Session, col

from vault03_api.auth.models import ApiToken, AuthSession, Role, Stage, User
from vault03_api.auth.principal import Principal
from vault03_api.settings import ApiSettings
from vault03_api.timestamps import from_text
from vault03_api.tokens import new_token, token_hash

# last_seen_at is written at most this often (the idle timeout is counted in minutes).
TOUCH_EVERY = timedelta(seconds=60)


def fingerprint(user: User) -> str:
    """What a session must still match: changes with password, 2FA state and security stamp."""
    return _fingerprint(user.security_stamp, user.two_factor_enabled, user.totp_secret)


def _fingerprint(security_stamp: str, two_factor_enabled: bool, totp_secret: str | None) -> str:
    material = f"{security_stamp}|{int(bool(two_factor_enabled))}|{totp_secret}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class IssuedSession:
    """A new session and its token (the token exists only here and in the cookie)."""

    token: str
    row: AuthSession
    user: User


def issue_session(
    session: Session,
    *,
    user: User,
    stage: Stage,
    settings: ApiSettings,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
) -> IssuedSession:
    """A fresh random session for `user` at `stage` (a new token at every login step)."""
    token = new_token()
    lifetime = (
        timedelta(hours=settings.session_absolute_hours)
        if stage == Stage.FULL
        else timedelta(minutes=settings.pending_login_minutes)
    )
    assert user.id is not None
    row = AuthSession(
        user_id=user.id,
        token_hash=token_hash(token),
        stage=stage.value,
        csrf_token=secrets.token_urlsafe(32),
        user_fingerprint=fingerprint(user),
        ip=ip,
        user_agent=user_agent,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    return IssuedSession(token, row, user)


def purge_dead_sessions(session: Session, *, now: datetime, idle: timedelta) -> int:
    """Housekeeping: drop sessions past their absolute or idle limit (not an audited change).

    Run periodically (ops.housekeeping), not at each login. Sessions outlived by a change of
    their user's credentials are refused at once (the fingerprint) and go at their expiry.
    """
    result = session.execute(
        delete(AuthSession).where(
            (col(AuthSession.expires_at) <= now) | (col(AuthSession.last_seen_at) <= now - idle)
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# Every request is authorized by one of these two reads, in plain SQL on a DB-API cursor:
# through the ORM each cost several times the CPU, all of it on the event loop.
_SESSION_SQL = """
    SELECT s.id, s.stage, s.csrf_token, s.user_fingerprint, s.expires_at, s.last_seen_at,
           u.id, u.email, u.name, u.role, u.deleted_at,
           u.security_stamp, u.two_factor_enabled, u.totp_secret
    FROM sessions AS s JOIN users AS u ON u.id = s.user_id
    WHERE s.token_hash = ?
"""
_BEARER_SQL = """
    SELECT t.id, t.security_stamp, t.expires_at, t.last_used_at, t.revoked_at,
           u.id, u.email, u.name, u.role, u.deleted_at, u.security_stamp
    FROM api_tokens AS t JOIN users AS u ON u.id = t.user_id
    WHERE t.token_hash = ?
"""


def resolve_session(
    cursor: DBAPICursor, *, token: str, settings: ApiSettings, now: datetime
) -> Principal | None:
    """The principal of a session cookie, or None when it is unknown, expired or revoked
    (a read only: `record_activity` writes the activity it asks for)."""
    cursor.execute(_SESSION_SQL, (token_hash(token),))
    found = cursor.fetchone()
    if found is None:
        return None
    (session_id, stage, csrf_token, expected, expires_at, last_seen_at) = found[:6]
    (user_id, email, name, role, deleted_at, stamp, two_factor, totp_secret) = found[6:]
    last_seen = from_text(last_seen_at)
    if (
        deleted_at is not None
        or now >= from_text(expires_at)
        or now - last_seen >= timedelta(minutes=settings.session_idle_minutes)
        or expected != _fingerprint(stamp, two_factor, totp_secret)
    ):
        return None
    return Principal(
        user_id=user_id,
        email=email,
        name=name,
        role=Role(role),
        stage=Stage(stage),
        via="session",
        session_id=session_id,
        csrf_token=csrf_token,
        stale_activity=now - last_seen >= TOUCH_EVERY,
    )


def resolve_api_token(cursor: DBAPICursor, *, token: str, now: datetime) -> Principal | None:
    """The principal of an `Authorization: Bearer` API token, or None."""
    cursor.execute(_BEARER_SQL, (token_hash(token),))
    found = cursor.fetchone()
    if found is None:
        return None
    (token_id, token_stamp, expires_at, last_used_at, revoked_at) = found[:5]
    (user_id, email, name, role, deleted_at, stamp) = found[5:]
    if (
        deleted_at is not None
        or revoked_at is not None
        or now >= from_text(expires_at)
        or token_stamp != stamp
    ):
        return None
    return Principal(
        user_id=user_id,
        email=email,
        name=name,
        role=Role(role),
        stage=Stage.FULL,
        via="token",
        token_id=token_id,
        stale_activity=last_used_at is None or now - from_text(last_used_at) >= TOUCH_EVERY,
    )


def record_activity(session: Session, *, principal: Principal, now: datetime) -> None:
    """Note that `principal`'s session or token was used at `now` (for the idle timeout);
    asked for by `Principal.stale_activity`, so at most about once a minute per session."""
    if principal.session_id is not None:
        session.execute(
            update(AuthSession)
            .where(col(AuthSession.id) == principal.session_id)
            .where(col(AuthSession.last_seen_at) < now)
            .values(last_seen_at=now)
        )
    if principal.token_id is not None:
        session.execute(
            update(ApiToken).where(col(ApiToken.id) == principal.token_id).values(last_used_at=now)
        )
