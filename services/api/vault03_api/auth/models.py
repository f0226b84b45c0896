"""Tables of staff identity: users, sessions, API tokens, recovery codes, one-time links,
and the login throttle."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from vault03_api.audit.models import Audited
from vault03_api.timestamps import utc_field


class Role(StrEnum):
    ADMIN = "admin"  # users, keys, settings, everything
    STAFF = "staff"  # customers, vaults, shares
    AUDITOR = "auditor"  # read-only: metadata and the audit log, never file contents


class Stage(StrEnum):
    """How far a session has come through login; only `full` reaches the application."""

    TOTP = "totp"  # password accepted, second factor awaited
    PASSWORD = "password"  # noqa: S105  must choose a new password first
    ENROL = "enrol"  # must enrol TOTP first
    FULL = "full"


class TokenPurpose(StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105


def _uuid() -> str:
    return str(uuid.uuid4())


def new_security_stamp() -> str:
    return secrets.token_hex(16)


class User(Audited, SQLModel, table=True):
    __tablename__ = "users"
    __audit_exclude__ = frozenset({"last_login_at", "last_totp_step", "updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    name: str
    email: str = Field(unique=True, index=True)
    role: str = Field(default=Role.STAFF.value)
    two_factor_enabled: bool = False
    totp_secret: str | None = None  # sealed under the master key
    totp_pending_secret: str | None = None  # sealed; switched on by a first good code
    last_totp_step: int | None = None  # the last 30 s step accepted: a code counts once
    password_hash: str | None = None  # argon2id; None until set through an invitation
    must_change_password: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = utc_field(nullable=True)
    last_login_at: datetime | None = utc_field(nullable=True)
    # Changed whenever every credential of the user must die (password, disable, 2FA reset).
    security_stamp: str = Field(default_factory=new_security_stamp)
    deleted_at: datetime | None = utc_field(nullable=True)
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)


class AuthSession(Audited, SQLModel, table=True):
    __tablename__ = "sessions"
    __audit_exclude__ = frozenset({"last_seen_at"})

    id: str = Field(default_factory=_uuid, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(unique=True)
    stage: str
    csrf_token: str
    # The user's credential state when the session was made; a mismatch ends the session.
    user_fingerprint: str
    ip: str | None = None
    user_agent: str | None = None
    created_at: datetime = utc_field(default_now=True)
    last_seen_at: datetime = utc_field(default_now=True)
    expires_at: datetime = utc_field()


class ApiToken(Audited, SQLModel, table=True):
    __tablename__ = "api_tokens"
    __audit_exclude__ = frozenset({"last_used_at"})

    id: str = Field(default_factory=_uuid, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str
    token_hash: str = Field(unique=True)
    prefix: str  # the first characters, to recognise a token in a list
    security_stamp: str
    created_at: datetime = utc_field(default_now=True)
    expires_at: datetime = utc_field()
    last_used_at: datetime | None = utc_field(nullable=True)
    revoked_at: datetime | None = utc_field(nullable=True)


class RecoveryCode(Audited, SQLModel, table=True):
    __tablename__ = "recovery_codes"

    id: str = Field(default_factory=_uuid, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    code_hash: str
    used_at: datetime | None = utc_field(nullable=True)
    created_at: datetime = utc_field(default_now=True)


class UserToken(Audited, SQLModel, table=True):
    """A single-use, expiring link: an invitation or a password reset."""

    __tablename__ = "user_tokens"

    id: str = Field(default_factory=_uuid, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    purpose: str
    token_hash: str = Field(unique=True)
    expires_at: datetime = utc_field()
    used_at: datetime | None = utc_field(nullable=True)
    created_at: datetime = utc_field(default_now=True)


class LoginThrottle(SQLModel, table=True):
    """Failed-attempt counters per account (`account:<email>`) and client (`ip:<address>`)."""

    __tablename__ = "login_throttles"

    key: str = Field(primary_key=True)
    failures: int = 0
    window_started_at: datetime = utc_field(default_now=True)
    locked_until: datetime | None = utc_field(nullable=True)
