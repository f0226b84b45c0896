"""Login, second factor, enrolment, passwords and API tokens; services never commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import Counter
from sqlalchemy import bindparam, or_, update
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlmodel import Session, col, select

from vault03_api import sealing
from vault03_api.alerts import alert_operators
from vault03_api.audit.models import AuditEvent
from vault03_api.audit.recorder import note, record_event
from vault03_api.auth import throttle, totp
from vault03_api.auth.exceptions import IdentityConflict, InvalidCode, InvalidLink, WeakPassword
from vault03_api.auth.models import (
    ApiToken,
    AuthSession,
    RecoveryCode,
    Role,
    Stage,
    TokenPurpose,
    User,
    UserToken,
    new_security_stamp,
)
from vault03_api.auth.sessions import IssuedSession, issue_session
from vault03_api.deliveries.service import enqueue_delivery
from vault03_api.errors import NotFound
from vault03_api.inflight import InFlight
from vault03_api.keyring import KeyRing
from vault03_api.settings import ApiSettings
from vault03_api.tokens import (
    API_TOKEN_PREFIX,
    RECOVERY_CODE_COUNT,
    new_recovery_code,
    new_token,
    recovery_code_hash,
    token_hash,
)
from vault03_common.messages import (
    AccountLocked,
    PasswordReset,
    StaffInvitation,
)

log = logging.getLogger(__name__)

MAX_PASSWORD_LENGTH = 128

# The VaultLoginFailuresBurst alert and the dashboard's login panel read this.
LOGIN_FAILURES = Counter(
    "vault03_login_failures",
    "Failed staff login steps (password, second factor, recovery code, password re-check).",
    ["step"],
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


# Prebuilt: every login runs it (building the statement cost a third of the lookup).
_USER_BY_EMAIL = select(User).where(col(User.email) == bindparam("email"))


def find_user(session: Session, *, email: str) -> User | None:
    return session.exec(_USER_BY_EMAIL, params={"email": normalise_email(email)}).first()


def totp_purpose(user_id: int) -> str:
    # Binds a sealed secret to its user: a copied column does not open for another account.
    return f"totp-secret:user:{user_id}"


def check_password_policy(password: str, *, email: str, settings: ApiSettings) -> None:
    """Length 12..128 (configurable minimum), not the email address."""
    if len(password) < settings.password_min_length:
        raise WeakPassword(f"the password needs at least {settings.password_min_length} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")
    if password.strip().lower() == normalise_email(email):
        raise WeakPassword("the password may not be the email address")


def totp_required(user: User, settings: ApiSettings) -> bool:
    return user.role == Role.ADMIN or user.role in settings.totp_required_roles


def next_stage(user: User, settings: ApiSettings) -> Stage:
    """Where a user goes once the factors they have are checked."""
    if user.must_change_password:
        return Stage.PASSWORD
    if not user.two_factor_enabled and totp_required(user, settings):
        return Stage.ENROL
    return Stage.FULL


# --- login, step 1: email and password ----------------------------------------------------


@dataclass(frozen=True)
class LoginGate:
    """What the password check needs: the stored hash and the reserved throttle keys."""

    refusal: throttle.Refusal | None
    password_hash: str | None = None
    reserved: tuple[str, ...] = ()


def _checks(
    email: str, ip: str | None, settings: ApiSettings
) -> tuple[tuple[str, throttle.Limits], ...]:
    return (
        (throttle.ip_key(ip), throttle.ip_limits(settings)),
        (throttle.account_key(normalise_email(email)), throttle.account_limits(settings)),
    )


def begin_login(
    cursor: DBAPICursor,
    *,
    email: str,
    ip: str | None,
    settings: ApiSettings,
    in_flight: InFlight,
    now: datetime,
) -> LoginGate:
    """Reserve the attempt against the client and the account; fetch the hash to check.

    Reads only: the caller releases `reserved` from `in_flight` once the attempt is over.
    Plain SQL on a DB-API cursor: see db.read_only_cursor for why.
    """
    checks = _checks(email, ip, settings)
    refusal = throttle.reserve(cursor, checks=checks, in_flight=in_flight, now=now)
    if refusal is not None:
        return LoginGate(refusal)
    cursor.execute(
        "SELECT password_hash, deleted_at FROM users WHERE email = ?", (normalise_email(email),)
    )
    found = cursor.fetchone()
    password_hash = found[0] if found is not None and found[1] is None else None
    return LoginGate(None, password_hash, tuple(key for key, _ in checks))


def record_failure(
    session: Session,
    *,
    email: str,
    user: User | None,
    ip: str | None,
    settings: ApiSettings,
    now: datetime,
    event_name: AuditEvent,
) -> None:
    """A failed login step: the user row (audited), or an audit entry for an unknown email."""
    LOGIN_FAILURES.labels(step=event_name).inc()
    account_key = throttle.account_key(normalise_email(email))
    ip_key = throttle.ip_key(ip)
    newly = throttle.record_failure(
        session, key=account_key, limits=throttle.account_limits(settings), now=now
    )
    newly_ip = throttle.record_failure(
        session, key=ip_key, limits=throttle.ip_limits(settings), now=now
    )
    if user is not None:
        note(session, user, event_name)
        user.failed_logins += 1
        user.locked_until = throttle.locked_until(session, key=account_key)
        user.updated_at = now
        session.add(user)
    else:
        record_event(
            session,
            entity_type="users",
            entity_id=None,
            action="u",
            event_name=event_name,
            new_values={"email": normalise_email(email)},
        )
    for key, locked in ((account_key, newly), (ip_key, newly_ip)):
        if locked:
            alert_operators(
                session,
                text=f"login locked for {key} after {event_name} from {ip or 'unknown address'}",
            )
    if newly and user is not None and user.deleted_at is None:
        _tell_locked_out(session, user=user, ip=ip, settings=settings, now=now)


def _tell_locked_out(
    session: Session, *, user: User, ip: str | None, settings: ApiSettings, now: datetime
) -> None:
    """The account's owner hears of the lockout (the operators' chat hears of it too)."""
    refused = (
        settings.gettext(
            "Sign-in is refused until %(when)s.", when=settings.shown_time(user.locked_until)
        )
        if user.locked_until
        else settings.gettext("Sign-in is refused.")
    )
    warning = settings.gettext(
        "If this was not you, tell your administrator at once: someone is trying to sign in as you."
    )
    message = AccountLocked(
        office=settings.office,
        event=settings.gettext("your account was locked after repeated failed sign-ins"),
        occurred_at=now,
        ip=ip,
        action=f"{refused} {warning}",
    )
    enqueue_delivery(session, outgoing=message.email(to=user.email, to_name=user.name))


def _complete_login(session: Session, *, user: User, now: datetime) -> None:
    user.last_login_at = now
    if user.failed_logins or user.locked_until is not None:
        user.failed_logins, user.locked_until = 0, None
        user.updated_at = now
    session.add(user)
    throttle.clear(session, key=throttle.account_key(user.email))


def _start_session(
    session: Session,
    *,
    user: User,
    stage: Stage,
    settings: ApiSettings,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
) -> IssuedSession:
    if stage == Stage.FULL:
        _complete_login(session, user=user, now=now)
    return issue_session(
        session, user=user, stage=stage, settings=settings, ip=ip, user_agent=user_agent, now=now
    )


def finish_login(
    session: Session,
    *,
    email: str,
    checked_hash: str | None,
    verified: bool,
    new_hash: str | None,
    ip: str | None,
    user_agent: str | None,
    settings: ApiSettings,
    now: datetime,
) -> IssuedSession | None:
    """Record the outcome of the password check; a session (maybe partial) when it passed."""
    user = find_user(session, email=email)
    ok = (
        verified
        and user is not None
        and user.deleted_at is None
        and user.password_hash == checked_hash
    )
    if not ok or user is None:
        record_failure(
            session,
            email=email,
            user=user,
            ip=ip,
            settings=settings,
            now=now,
            event_name="login_failed",
        )
        return None
    if new_hash is not None:
        user.password_hash = new_hash  # parameters were raised since this hash was made
        note(session, user, "password_rehashed")
    stage = Stage.TOTP if user.two_factor_enabled else next_stage(user, settings)
    return _start_session(
        session, user=user, stage=stage, settings=settings, ip=ip, user_agent=user_agent, now=now
    )


# --- login, step 2: TOTP or a recovery code ------------------------------------------------


@dataclass(frozen=True)
class SecondFactorOutcome:
    refusal: throttle.Refusal | None = None
    issued: IssuedSession | None = None


def _reserve_second_factor(
    session: Session, *, user: User, ip: str | None, settings: ApiSettings, now: datetime
) -> throttle.Refusal | None:
    # The whole check runs in one write transaction: the failure counts are exact.
    for key, limits in _checks(user.email, ip, settings):
        refusal = throttle.locked(session, key=key, limits=limits, now=now)
        if refusal is not None:
            return refusal
    return None


def _second_factor_passed(
    session: Session,
    *,
    user: User,
    pending_session_id: str,
    ip: str | None,
    user_agent: str | None,
    settings: ApiSettings,
    now: datetime,
) -> IssuedSession:
    pending = session.get(AuthSession, pending_session_id)
    if pending is not None:
        note(session, pending, "login_step_done")
        session.delete(pending)
    return _start_session(
        session,
        user=user,
        stage=next_stage(user, settings),
        settings=settings,
        ip=ip,
        user_agent=user_agent,
        now=now,
    )


def submit_totp(
    session: Session,
    *,
    user_id: int,
    pending_session_id: str,
    code: str,
    ring: KeyRing,
    ip: str | None,
    user_agent: str | None,
    settings: ApiSettings,
    now: datetime,
) -> SecondFactorOutcome:
    """Check a TOTP code; each code (time step) is accepted once, replays are alerted."""
    user = session.get(User, user_id)
    if user is None or user.totp_secret is None:
        return SecondFactorOutcome()
    refusal = _reserve_second_factor(session, user=user, ip=ip, settings=settings, now=now)
    if refusal is not None:
        return SecondFactorOutcome(refusal)
    secret = sealing.unseal(ring, user.totp_secret, purpose=totp_purpose(user_id)).decode()
    step = totp.matching_step(secret, code, at=now)
    event_name: AuditEvent = "totp_failed"
    if step is not None:
        # The conditional update is the single point where a step is consumed: of two
        # submissions of one code, only one can move last_totp_step forward.
        consumed = session.execute(
            update(User)
            .where(
                col(User.id) == user_id,
                or_(col(User.last_totp_step).is_(None), col(User.last_totp_step) < step),
            )
            .values(last_totp_step=step)
            .execution_options(synchronize_session=False)
        )
        if consumed.rowcount == 1:  # type: ignore[attr-defined]
            issued = _second_factor_passed(
                session,
                user=user,
                pending_session_id=pending_session_id,
                ip=ip,
                user_agent=user_agent,
                settings=settings,
                now=now,
            )
            return SecondFactorOutcome(issued=issued)
        event_name = "totp_replay"
        alert_operators(
            session,
            text=f"a used TOTP code was replayed for {user.email} from {ip or 'unknown address'}",
        )
    record_failure(
        session,
        email=user.email,
        user=user,
        ip=ip,
        settings=settings,
        now=now,
        event_name=event_name,
    )
    return SecondFactorOutcome()


def submit_recovery_code(
    session: Session,
    *,
    user_id: int,
    pending_session_id: str,
    code: str,
    ip: str | None,
    user_agent: str | None,
    settings: ApiSettings,
    now: datetime,
) -> SecondFactorOutcome:
    """Use one of the ten recovery codes instead of a TOTP code; each works once."""
    user = session.get(User, user_id)
    if user is None:
        return SecondFactorOutcome()
    refusal = _reserve_second_factor(session, user=user, ip=ip, settings=settings, now=now)
    if refusal is not None:
        return SecondFactorOutcome(refusal)
    row = session.exec(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == recovery_code_hash(code),
            col(RecoveryCode.used_at).is_(None),
        )
    ).first()
    if row is None:
        record_failure(
            session,
            email=user.email,
            user=user,
            ip=ip,
            settings=settings,
            now=now,
            event_name="recovery_code_failed",
        )
        return SecondFactorOutcome()
    row.used_at = now
    note(session, row, "recovery_code_used")
    session.add(row)
    issued = _second_factor_passed(
        session,
        user=user,
        pending_session_id=pending_session_id,
        ip=ip,
        user_agent=user_agent,
        settings=settings,
        now=now,
    )
    return SecondFactorOutcome(issued=issued)


# --- enrolment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


def start_enrolment(session: Session, *, user_id: int, ring: KeyRing) -> Enrolment:
    """A new secret, kept pending (sealed) until a first code confirms it."""
    user = _get_user(session, user_id)
    if user.two_factor_enabled:
        raise IdentityConflict("two-factor authentication is already on; reset it first")
    secret = totp.new_secret()
    user.totp_pending_secret = sealing.seal(ring, secret.encode(), purpose=totp_purpose(user_id))
    session.add(user)
    uri = totp.provisioning_uri(secret, email=user.email)
    return Enrolment(secret, uri, totp.qr_svg(uri))


@dataclass(frozen=True)
class Enrolled:
    recovery_codes: list[str]
    issued: IssuedSession


def confirm_enrolment(
    session: Session,
    *,
    user_id: int,
    current_session_id: str,
    code: str,
    ring: KeyRing,
    ip: str | None,
    user_agent: str | None,
    settings: ApiSettings,
    now: datetime,
) -> Enrolled:
    """Switch TOTP on after a first good code; returns ten recovery codes (shown once)."""
    user = _get_user(session, user_id)
    if user.two_factor_enabled:
        raise IdentityConflict("two-factor authentication is already on")
    if user.totp_pending_secret is None:
        raise IdentityConflict("start the enrolment first")
    secret = sealing.unseal(ring, user.totp_pending_secret, purpose=totp_purpose(user_id))
    step = totp.matching_step(secret.decode(), code, at=now)
    if step is None:
        raise InvalidCode()
    user.totp_secret, user.totp_pending_secret = user.totp_pending_secret, None
    user.two_factor_enabled, user.last_totp_step = True, step
    user.updated_at = now
    note(session, user, "totp_enrolled")
    session.add(user)
    codes = replace_recovery_codes(session, user_id=user_id)
    # The user's credential state changed: this session is replaced, all others end.
    current = session.get(AuthSession, current_session_id)
    if current is not None:
        session.delete(current)
    issued = _start_session(
        session,
        user=user,
        stage=next_stage(user, settings),
        settings=settings,
        ip=ip,
        user_agent=user_agent,
        now=now,
    )
    return Enrolled(codes, issued)


def replace_recovery_codes(session: Session, *, user_id: int) -> list[str]:
    """Ten new single-use codes; the old ones stop working."""
    for old in session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user_id)).all():
        session.delete(old)
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        session.add(RecoveryCode(user_id=user_id, code_hash=recovery_code_hash(code)))
    return codes


# --- passwords ---------------------------------------------------------------------------


def _get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


def set_password(
    session: Session, *, user: User, password_hash: str, now: datetime, event_name: AuditEvent
) -> None:
    """Store a new password hash; every session and API token of the user ends."""
    user.password_hash = password_hash
    user.must_change_password = False
    user.security_stamp = new_security_stamp()
    user.failed_logins, user.locked_until = 0, None
    user.updated_at = now
    note(session, user, event_name)
    session.add(user)
    throttle.clear(session, key=throttle.account_key(user.email))


def change_own_password(
    session: Session,
    *,
    user_id: int,
    current_session_id: str | None,
    checked_hash: str | None,
    new_hash: str,
    ip: str | None,
    user_agent: str | None,
    settings: ApiSettings,
    now: datetime,
) -> IssuedSession | None:
    """After the current password was verified: store the new one, keep only this session."""
    user = _get_user(session, user_id)
    if user.password_hash != checked_hash:
        raise IdentityConflict("the password changed meanwhile; try again")
    set_password(session, user=user, password_hash=new_hash, now=now, event_name="password_changed")
    if current_session_id is None:
        return None
    current = session.get(AuthSession, current_session_id)
    if current is not None:
        session.delete(current)
    stage = next_stage(user, settings)
    return _start_session(
        session, user=user, stage=stage, settings=settings, ip=ip, user_agent=user_agent, now=now
    )


def link_url(settings: ApiSettings, token: str) -> str:
    # The token travels in the fragment, which browsers never send to a server (or its logs).
    return f"{settings.public_url.rstrip('/')}/set-password#token={token}"


def _new_link(
    session: Session, *, user: User, purpose: TokenPurpose, valid: timedelta, now: datetime
) -> tuple[str, datetime]:
    """A single-use, expiring set-password token (the user's only live one) and its expiry."""
    assert user.id is not None
    for old in session.exec(
        select(UserToken).where(UserToken.user_id == user.id, col(UserToken.used_at).is_(None))
    ).all():
        session.delete(old)  # one live link per user
    token = new_token()
    expires_at = now + valid
    session.add(
        UserToken(
            user_id=user.id,
            purpose=purpose.value,
            token_hash=token_hash(token),
            expires_at=expires_at,
            created_at=now,
        )
    )
    return token, expires_at


def send_invitation(
    session: Session,
    *,
    user: User,
    inviter_name: str,
    settings: ApiSettings,
    ring: KeyRing,
    now: datetime,
) -> None:
    """Email a new account its invitation: a single-use, expiring set-password link."""
    valid = timedelta(hours=settings.invitation_valid_hours)
    token, expires_at = _new_link(
        session, user=user, purpose=TokenPurpose.INVITATION, valid=valid, now=now
    )
    message = StaffInvitation(
        office=settings.office,
        link=link_url(settings, token),
        inviter_name=inviter_name,
        role=user.role,
        expires_at=expires_at,
    )
    outgoing = message.email(to=user.email, to_name=user.name)
    enqueue_delivery(session, outgoing=outgoing, ring=ring)


def send_password_reset(
    session: Session,
    *,
    user: User,
    settings: ApiSettings,
    ring: KeyRing,
    now: datetime,
    requested_ip: str | None = None,
) -> None:
    """Email a single-use, expiring link to choose a new password."""
    valid = timedelta(minutes=settings.password_reset_valid_minutes)
    token, expires_at = _new_link(
        session, user=user, purpose=TokenPurpose.PASSWORD_RESET, valid=valid, now=now
    )
    message = PasswordReset(
        office=settings.office,
        link=link_url(settings, token),
        expires_at=expires_at,
        requested_ip=requested_ip,
    )
    outgoing = message.email(to=user.email, to_name=user.name)
    enqueue_delivery(session, outgoing=outgoing, ring=ring)


def user_for_link(session: Session, *, token: str, now: datetime) -> tuple[UserToken, User]:
    """The unused, unexpired link and its (enabled) user; InvalidLink otherwise."""
    found = session.exec(
        select(UserToken, User)
        .join(User, col(User.id) == col(UserToken.user_id))
        .where(UserToken.token_hash == token_hash(token))
    ).first()
    if found is None:
        raise InvalidLink()
    link, user = found
    if link.used_at is not None or now >= link.expires_at or user.deleted_at is not None:
        raise InvalidLink()
    return link, user


def use_link(session: Session, *, token: str, password_hash: str, now: datetime) -> User:
    """Set the password through an invitation or reset link, which is then spent."""
    link, user = user_for_link(session, token=token, now=now)
    link.used_at = now
    session.add(link)
    invited = link.purpose == TokenPurpose.INVITATION
    event: AuditEvent = "invitation" if invited else "password_reset"
    set_password(session, user=user, password_hash=password_hash, now=now, event_name=event)
    return user


RESET_EMAIL_INTERVAL = timedelta(minutes=5)


def request_password_reset(
    session: Session,
    *,
    email: str,
    ip: str | None,
    settings: ApiSettings,
    ring: KeyRing,
    now: datetime,
) -> None:
    """Email a reset link when the account exists (the caller answers the same either way)."""
    user = find_user(session, email=email)
    if user is None or user.deleted_at is not None:
        return
    recent = session.exec(
        select(UserToken).where(
            UserToken.user_id == user.id, col(UserToken.created_at) > now - RESET_EMAIL_INTERVAL
        )
    ).first()
    if recent is None:  # at most one email per few minutes: no mail bombing
        send_password_reset(
            session, user=user, settings=settings, ring=ring, now=now, requested_ip=ip
        )


# --- API tokens --------------------------------------------------------------------------


def create_api_token(
    session: Session, *, user_id: int, name: str, days: int, now: datetime
) -> tuple[ApiToken, str]:
    """A personal token for scripts; the secret is returned once and stored hashed."""
    user = _get_user(session, user_id)
    secret = new_token(API_TOKEN_PREFIX)
    row = ApiToken(
        user_id=user_id,
        name=name,
        token_hash=token_hash(secret),
        prefix=secret[: len(API_TOKEN_PREFIX) + 6],
        security_stamp=user.security_stamp,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    return row, secret


def list_api_tokens(session: Session, *, user_id: int) -> list[ApiToken]:
    statement = (
        select(ApiToken)
        .where(ApiToken.user_id == user_id)
        .order_by(col(ApiToken.created_at).desc())
    )
    return list(session.exec(statement).all())


def revoke_api_token(session: Session, *, user_id: int, token_id: str, now: datetime) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound("no such token")
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)


def logout(session: Session, *, session_id: str) -> None:
    row = session.get(AuthSession, session_id)
    if row is not None:
        note(session, row, "logout")
        session.delete(row)
