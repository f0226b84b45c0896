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
from sqlmodel import Session, col, select

from vault03_api.auth.models import ApiToken, AuthSession, Role, Stage, User
from vault03_api.auth.principal import Principal
from vault03_api.settings import ApiSettings
from vault03_api.tokens import new_token, token_hash

# last_seen_at is written at most this often (the idle timeout is counted in minutes).
TOUCH_EVERY = timedelta(seconds=60)


def fingerprint(user: User) -> str:
    """What a session must still match: changes with password, 2FA state and security stamp."""
    material = f"{user.security_stamp}|{int(bool(user.two_factor_enabled))}|{user.totp_secret}"
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


def _usable(user: User) -> bool:
    return user.deleted_at is None


def resolve_session(
    session: Session, *, token: str, settings: ApiSettings, now: datetime
) -> Principal | None:
    """The principal of a session cookie, or None when it is unknown, expired or revoked
    (a read only: `record_activity` writes the activity it asks for)."""
    found = session.exec(
        select(AuthSession, User)
        .join(User, col(User.id) == col(AuthSession.user_id))
        .where(AuthSession.token_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    row, user = found
    idle = timedelta(minutes=settings.session_idle_minutes)
    if (
        not _usable(user)
        or now >= row.expires_at
        or now - row.last_seen_at >= idle
        or row.user_fingerprint != fingerprint(user)
    ):
        return None
    assert user.id is not None
    return Principal(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=Role(user.role),
        stage=Stage(row.stage),
        via="session",
        session_id=row.id,
        csrf_token=row.csrf_token,
        stale_activity=now - row.last_seen_at >= TOUCH_EVERY,
    )


def resolve_api_token(session: Session, *, token: str, now: datetime) -> Principal | None:
    """The principal of an `Authorization: Bearer` API token, or None."""
    found = session.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(ApiToken.token_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if (
        not _usable(user)
        or row.revoked_at is not None
        or now >= row.expires_at
        or row.security_stamp != user.security_stamp
    ):
        return None
    assert user.id is not None
    return Principal(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=Role(user.role),
        stage=Stage.FULL,
        via="token",
        token_id=row.id,
        stale_activity=row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY,
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
