"""Identity routes for the signed-in user: login steps, logout, enrolment, password, tokens."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlmodel import Session

from vault03_api import clock
from vault03_api.audit.context import current
from vault03_api.auth import service
from vault03_api.auth.access import (
    ALL_ROLES,
    ALL_STAGES,
    CurrentPrincipal,
    access,
    cookie_name,
    open_during_maintenance,
    public,
)
from vault03_api.auth.exceptions import (
    Forbidden,
    IdentityConflict,
    InvalidCode,
    InvalidCredentials,
    InvalidLink,
    NotAuthenticated,
    TooManyAttempts,
    WeakPassword,
)
from vault03_api.auth.models import Role, Stage, User
from vault03_api.auth.principal import Principal
from vault03_api.auth.schemas import (
    CodeIn,
    EnrolledOut,
    EnrolmentOut,
    ForgotIn,
    LoginIn,
    MessageOut,
    PasswordChangeIn,
    PasswordSetIn,
    RecoveryCodesOut,
    SessionOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserOut,
)
from vault03_api.auth.sessions import IssuedSession
from vault03_api.deps import ReadSessionDep, SessionDep, StateDep
from vault03_api.errors import NotFound, error_responses
from vault03_api.http_policy import clear_session_cookie, set_session_cookie
from vault03_api.settings import ApiSettings
from vault03_api.state import AppState
from vault03_api.transactions import run_cursor_read, run_write

router = APIRouter(prefix="/api/auth", tags=["auth"])

_AUTH_ERRORS = (NotAuthenticated, Forbidden)


def user_out(user: User) -> UserOut:
    assert user.id is not None
    return UserOut(
        id=user.id,
        name=user.name,
        email=user.email,
        role=Role(user.role),
        two_factor_enabled=user.two_factor_enabled,
    )


def _session_out(state: AppState, issued: IssuedSession, response: Response) -> SessionOut:
    _set_cookie(response, issued, state.settings)
    return SessionOut(
        stage=Stage(issued.row.stage), csrf_token=issued.row.csrf_token, user=user_out(issued.user)
    )


def _set_cookie(response: Response, issued: IssuedSession, settings: ApiSettings) -> None:
    lifetime = int((issued.row.expires_at - issued.row.created_at).total_seconds())
    set_session_cookie(
        response, cookie_name(settings), issued.token, max_age=lifetime, settings=settings
    )


@router.post(
    "/login",
    response_model=SessionOut,
    responses=error_responses(InvalidCredentials, TooManyAttempts),
)
@open_during_maintenance
@public
async def login(body: LoginIn, response: Response, state: StateDep) -> SessionOut:
    """Check email and password; the session may still need a second factor (see `stage`)."""
    settings, ip = state.settings, current().ip
    gate = await run_cursor_read(
        state.engine,
        service.begin_login,
        email=body.email,
        ip=ip,
        settings=settings,
        in_flight=state.attempts,
        now=clock.utcnow(),
    )
    if gate.refusal is not None:
        raise TooManyAttempts(gate.refusal.retry_after)
    try:
        verdict = await state.passwords.verify(gate.password_hash, body.password)
        new_hash = await state.passwords.hash(body.password) if verdict.needs_rehash else None
        issued = await run_write(
            state.engine,
            service.finish_login,
            email=body.email,
            checked_hash=gate.password_hash,
            verified=verdict.ok,
            new_hash=new_hash,
            ip=ip,
            user_agent=current().user_agent,
            settings=settings,
            now=clock.utcnow(),
        )
    finally:
        state.attempts.release(list(gate.reserved))
    if issued is None:
        raise InvalidCredentials()
    return _session_out(state, issued, response)


def _second_factor_result(
    state: AppState, outcome: service.SecondFactorOutcome, response: Response
) -> SessionOut:
    if outcome.refusal is not None:
        raise TooManyAttempts(outcome.refusal.retry_after)
    if outcome.issued is None:
        raise InvalidCode()
    return _session_out(state, outcome.issued, response)


@router.post(
    "/totp",
    response_model=SessionOut,
    responses=error_responses(InvalidCode, TooManyAttempts, *_AUTH_ERRORS),
)
@open_during_maintenance
@access(*ALL_ROLES, stages=[Stage.TOTP])
async def submit_totp(
    body: CodeIn, response: Response, principal: CurrentPrincipal, state: StateDep
) -> SessionOut:
    """Second step: a code from the authenticator app (each code is accepted once)."""
    assert principal.session_id is not None
    outcome = await run_write(
        state.engine,
        service.submit_totp,
        user_id=principal.user_id,
        pending_session_id=principal.session_id,
        code=body.code,
        ring=state.keyring,
        ip=current().ip,
        user_agent=current().user_agent,
        settings=state.settings,
        now=clock.utcnow(),
    )
    return _second_factor_result(state, outcome, response)


@router.post(
    "/recovery",
    response_model=SessionOut,
    responses=error_responses(InvalidCode, TooManyAttempts, *_AUTH_ERRORS),
)
@open_during_maintenance
@access(*ALL_ROLES, stages=[Stage.TOTP])
async def submit_recovery_code(
    body: CodeIn, response: Response, principal: CurrentPrincipal, state: StateDep
) -> SessionOut:
    """Second step with a recovery code instead of the app (each code works once)."""
    assert principal.session_id is not None
    outcome = await run_write(
        state.engine,
        service.submit_recovery_code,
        user_id=principal.user_id,
        pending_session_id=principal.session_id,
        code=body.code,
        ip=current().ip,
        user_agent=current().user_agent,
        settings=state.settings,
        now=clock.utcnow(),
    )
    return _second_factor_result(state, outcome, response)


@router.get("/me", response_model=SessionOut, responses=error_responses(*_AUTH_ERRORS))
@open_during_maintenance
@access(*ALL_ROLES, stages=ALL_STAGES)
def me(principal: CurrentPrincipal, session: ReadSessionDep) -> SessionOut:
    """The signed-in user, the login stage, and the CSRF token for writes."""
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotAuthenticated()
    return SessionOut(
        stage=principal.stage, csrf_token=principal.csrf_token or "", user=user_out(user)
    )


@router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(*_AUTH_ERRORS)
)
@open_during_maintenance
@access(*ALL_ROLES, stages=ALL_STAGES)
def logout(principal: CurrentPrincipal, session: SessionDep, state: StateDep) -> Response:
    """End this session."""
    if principal.session_id is not None:
        service.logout(session, session_id=principal.session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response, cookie_name(state.settings), settings=state.settings)
    return response


@router.post(
    "/totp/enrolment",
    response_model=EnrolmentOut,
    responses=error_responses(IdentityConflict, *_AUTH_ERRORS),
)
@access(*ALL_ROLES, stages=[Stage.ENROL, Stage.FULL])
def start_enrolment(
    principal: CurrentPrincipal, session: SessionDep, state: StateDep
) -> EnrolmentOut:
    """A new TOTP secret as an otpauth URI and a QR code; confirm it with a first code."""
    enrolment = service.start_enrolment(session, user_id=principal.user_id, ring=state.keyring)
    return EnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.uri, qr_svg=enrolment.qr_svg)


@router.post(
    "/totp/enrolment/confirm",
    response_model=EnrolledOut,
    responses=error_responses(InvalidCode, IdentityConflict, *_AUTH_ERRORS),
)
@access(*ALL_ROLES, stages=[Stage.ENROL, Stage.FULL])
async def confirm_enrolment(
    body: CodeIn, response: Response, principal: CurrentPrincipal, state: StateDep
) -> EnrolledOut:
    """Switch TOTP on with a first code; returns ten recovery codes, shown only now."""
    enrolled = await run_write(
        state.engine,
        service.confirm_enrolment,
        user_id=principal.user_id,
        current_session_id=principal.session_id or "",
        code=body.code,
        ring=state.keyring,
        ip=current().ip,
        user_agent=current().user_agent,
        settings=state.settings,
        now=clock.utcnow(),
    )
    out = _session_out(state, enrolled.issued, response)
    return EnrolledOut(**out.model_dump(), recovery_codes=enrolled.recovery_codes)


@router.post(
    "/recovery-codes", response_model=RecoveryCodesOut, responses=error_responses(*_AUTH_ERRORS)
)
@access(*ALL_ROLES)
def regenerate_recovery_codes(principal: CurrentPrincipal, session: SessionDep) -> RecoveryCodesOut:
    """Ten new recovery codes (the old ones stop working); shown only now."""
    user = session.get(User, principal.user_id)
    if user is None or not user.two_factor_enabled:
        raise IdentityConflict("two-factor authentication is not on")
    return RecoveryCodesOut(
        recovery_codes=service.replace_recovery_codes(session, user_id=principal.user_id)
    )


async def _verify_current_password(
    state: AppState, principal: Principal, password: str
) -> str | None:
    """Check the current password under the login throttle; its hash when it is right."""
    ip = current().ip
    gate = await run_cursor_read(
        state.engine,
        service.begin_login,
        email=principal.email,
        ip=ip,
        settings=state.settings,
        in_flight=state.attempts,
        now=clock.utcnow(),
    )
    if gate.refusal is not None:
        raise TooManyAttempts(gate.refusal.retry_after)
    try:
        verdict = await state.passwords.verify(gate.password_hash, password)
        if not verdict.ok:
            await run_write(
                state.engine,
                _password_check_failed,
                user_id=principal.user_id,
                ip=ip,
                settings=state.settings,
            )
            raise InvalidCredentials()
    finally:
        state.attempts.release(list(gate.reserved))
    return gate.password_hash


def _password_check_failed(
    session: Session, *, user_id: int, ip: str | None, settings: ApiSettings
) -> None:
    user = session.get(User, user_id)
    if user is not None:
        service.record_failure(
            session,
            email=user.email,
            user=user,
            ip=ip,
            settings=settings,
            now=clock.utcnow(),
            event_name="password_check_failed",
        )


@router.post(
    "/password",
    response_model=SessionOut | MessageOut,
    responses=error_responses(InvalidCredentials, WeakPassword, TooManyAttempts, *_AUTH_ERRORS),
)
@access(*ALL_ROLES, stages=[Stage.PASSWORD, Stage.FULL])
async def change_password(
    body: PasswordChangeIn, response: Response, principal: CurrentPrincipal, state: StateDep
) -> SessionOut | MessageOut:
    """Change your password: every other session and every API token of yours ends."""
    service.check_password_policy(body.new_password, email=principal.email, settings=state.settings)
    checked = await _verify_current_password(state, principal, body.current_password)
    new_hash = await state.passwords.hash(body.new_password)
    issued = await run_write(
        state.engine,
        service.change_own_password,
        user_id=principal.user_id,
        current_session_id=principal.session_id,
        checked_hash=checked,
        new_hash=new_hash,
        ip=current().ip,
        user_agent=current().user_agent,
        settings=state.settings,
        now=clock.utcnow(),
    )
    if issued is None:
        return MessageOut(message="password changed")
    return _session_out(state, issued, response)


@router.post(
    "/password/set",
    response_model=MessageOut,
    responses=error_responses(InvalidLink, WeakPassword),
)
@public
async def set_password_with_link(body: PasswordSetIn, state: StateDep) -> MessageOut:
    """Choose a password through an invitation or reset link (the link is then spent)."""
    _, user = await run_write(
        state.engine, service.user_for_link, token=body.token, now=clock.utcnow()
    )
    service.check_password_policy(body.password, email=user.email, settings=state.settings)
    password_hash = await state.passwords.hash(body.password)
    await run_write(
        state.engine,
        service.use_link,
        token=body.token,
        password_hash=password_hash,
        now=clock.utcnow(),
    )
    return MessageOut(message="password set; you can log in now")


@router.post("/password/forgot", response_model=MessageOut, status_code=status.HTTP_202_ACCEPTED)
@public
def forgot_password(body: ForgotIn, session: SessionDep, state: StateDep) -> MessageOut:
    """Email a reset link if the account exists; the answer is the same either way."""
    service.request_password_reset(
        session,
        email=body.email,
        ip=current().ip,
        settings=state.settings,
        ring=state.keyring,
        now=clock.utcnow(),
    )
    return MessageOut(message="if the account exists, a reset link is on its way")


def _token_out(row: object) -> TokenOut:
    return TokenOut.model_validate(row, from_attributes=True)


@router.get("/tokens", response_model=list[TokenOut], responses=error_responses(*_AUTH_ERRORS))
@access(*ALL_ROLES)
def list_tokens(principal: CurrentPrincipal, session: ReadSessionDep) -> list[TokenOut]:
    """Your personal API tokens (never their secrets)."""
    return [_token_out(row) for row in service.list_api_tokens(session, user_id=principal.user_id)]


@router.post(
    "/tokens",
    response_model=TokenCreatedOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(*_AUTH_ERRORS),
)
@access(*ALL_ROLES)
def create_token(
    body: TokenIn, principal: CurrentPrincipal, session: SessionDep, state: StateDep
) -> TokenCreatedOut:
    """A personal API token for scripts, shown once: `Authorization: Bearer <token>`."""
    days = min(body.expires_in_days, state.settings.api_token_max_days)
    row, secret = service.create_api_token(
        session, user_id=principal.user_id, name=body.name, days=days, now=clock.utcnow()
    )
    return TokenCreatedOut(**_token_out(row).model_dump(), token=secret)


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(NotFound, *_AUTH_ERRORS),
)
@access(*ALL_ROLES)
def revoke_token(token_id: str, principal: CurrentPrincipal, session: SessionDep) -> Response:
    """Revoke one of your API tokens."""
    service.revoke_api_token(
        session, user_id=principal.user_id, token_id=token_id, now=clock.utcnow()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
