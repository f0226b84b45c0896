"""User administration, shared by the admin API and the `vault03 users` commands."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from vault03_api.audit.recorder import note
from vault03_api.auth.exceptions import IdentityConflict
from vault03_api.auth.models import RecoveryCode, Role, User, new_security_stamp
from vault03_api.auth.service import normalise_email, send_invitation, send_password_reset
from vault03_api.errors import NotFound
from vault03_api.keyring import KeyRing
from vault03_api.settings import ApiSettings


def list_users(session: Session, *, include_disabled: bool = True) -> list[User]:
    statement = select(User).order_by(col(User.id))
    if not include_disabled:
        statement = statement.where(col(User.deleted_at).is_(None))
    return list(session.exec(statement).all())


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


def get_user_by_email(session: Session, *, email: str) -> User:
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        raise NotFound(f"no user with email {normalise_email(email)}")
    return user


def _new_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role,
    now: datetime,
    password_hash: str | None = None,
) -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise IdentityConflict("not an email address")
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise IdentityConflict(f"a user with email {email} exists already")
    user = User(
        email=email,
        name=name.strip(),
        role=role.value,
        password_hash=password_hash,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()  # the id is needed for the link
    return user


def invite_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role,
    inviter_name: str,
    settings: ApiSettings,
    ring: KeyRing,
    now: datetime,
) -> User:
    """Create an account without a password and email it a single-use set-password link."""
    user = _new_user(session, email=email, name=name, role=role, now=now)
    send_invitation(
        session, user=user, inviter_name=inviter_name, settings=settings, ring=ring, now=now
    )
    return user


def create_admin(
    session: Session, *, email: str, name: str, password_hash: str, now: datetime
) -> User:
    """The first account, made from the command line; it must enrol TOTP at first login."""
    return _new_user(
        session, email=email, name=name, role=Role.ADMIN, now=now, password_hash=password_hash
    )


def _active_admins(session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN.value, col(User.deleted_at).is_(None))
    ).one()


def _keep_an_admin(session: Session, user: User) -> None:
    if user.role == Role.ADMIN and user.deleted_at is None and _active_admins(session) <= 1:
        raise IdentityConflict("this is the last active admin; appoint another one first")


def update_user(
    session: Session, *, user_id: int, name: str | None, role: Role | None, now: datetime
) -> User:
    """Rename, or change the role (effective on the user's next request)."""
    user = get_user(session, user_id=user_id)
    if role is not None and role.value != user.role:
        _keep_an_admin(session, user)
        user.role = role.value
    if name is not None:
        user.name = name.strip()
    user.updated_at = now
    session.add(user)
    return user


def disable_user(session: Session, *, user_id: int, now: datetime) -> User:
    """Disable the account: its sessions and tokens are refused from the next request on."""
    user = get_user(session, user_id=user_id)
    if user.deleted_at is None:
        _keep_an_admin(session, user)
        user.deleted_at = now
        user.security_stamp = new_security_stamp()
        user.updated_at = now
        session.add(user)
    return user


def enable_user(session: Session, *, user_id: int, now: datetime) -> User:
    user = get_user(session, user_id=user_id)
    if user.deleted_at is not None:
        user.deleted_at = None
        user.updated_at = now
        session.add(user)
    return user


def reset_two_factor(session: Session, *, user_id: int, now: datetime) -> User:
    """Turn TOTP off (the user enrols again at next login); ends every session and token."""
    user = get_user(session, user_id=user_id)
    user.two_factor_enabled = False
    user.totp_secret = user.totp_pending_secret = None
    user.last_totp_step = None
    user.security_stamp = new_security_stamp()
    user.updated_at = now
    note(session, user, "two_factor_reset")
    session.add(user)
    for code in session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user_id)).all():
        session.delete(code)
    return user


def force_password_reset(
    session: Session,
    *,
    user_ids: list[int] | None,
    settings: ApiSettings,
    ring: KeyRing,
    now: datetime,
) -> list[User]:
    """Void the password of some users (None: every enabled user), end their sessions and
    tokens, and email each a reset link: the incident-response step of the operations guide."""
    if user_ids is None:
        users = list_users(session, include_disabled=False)
    else:
        users = [get_user(session, user_id=user_id) for user_id in user_ids]
    for user in users:
        user.password_hash = None
        user.must_change_password = True
        user.security_stamp = new_security_stamp()
        user.updated_at = now
        note(session, user, "password_reset_forced")
        session.add(user)
        if user.deleted_at is None:
            send_password_reset(session, user=user, settings=settings, ring=ring, now=now)
    return users
