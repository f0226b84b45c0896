"""User administration routes (admins only)."""

from __future__ import annotations

from fastapi import APIRouter, status

from vault03_api import clock
from vault03_api.auth.access import CurrentPrincipal, access
from vault03_api.auth.exceptions import Forbidden, IdentityConflict, NotAuthenticated
from vault03_api.auth.models import Role, User
from vault03_api.bounds import RowId
from vault03_api.deps import ReadSessionDep, SessionDep, StateDep
from vault03_api.errors import NotFound, error_responses
from vault03_api.users import service
from vault03_api.users.schemas import AdminUserOut, InviteIn, ResetCountOut, UserPatch

router = APIRouter(prefix="/api/users", tags=["users"])

_ERRORS = (NotAuthenticated, Forbidden)


def _out(user: User) -> AdminUserOut:
    return AdminUserOut.model_validate(user, from_attributes=True)


@router.get("", response_model=list[AdminUserOut], responses=error_responses(*_ERRORS))
@access(Role.ADMIN)
def list_users(session: ReadSessionDep) -> list[AdminUserOut]:
    """Every account, disabled ones included."""
    return [_out(user) for user in service.list_users(session)]


@router.post(
    "",
    response_model=AdminUserOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(IdentityConflict, *_ERRORS),
)
@access(Role.ADMIN)
def invite_user(
    body: InviteIn, principal: CurrentPrincipal, session: SessionDep, state: StateDep
) -> AdminUserOut:
    """Create an account and email it a single-use, expiring set-password link."""
    user = service.invite_user(
        session,
        email=body.email,
        name=body.name,
        role=body.role,
        inviter_name=principal.name,
        settings=state.settings,
        ring=state.keyring,
        now=clock.utcnow(),
    )
    return _out(user)


@router.post(
    "/force-password-reset",
    response_model=ResetCountOut,
    responses=error_responses(*_ERRORS),
)
@access(Role.ADMIN)
def force_password_reset_all(session: SessionDep, state: StateDep) -> ResetCountOut:
    """Every enabled user (you too) must set a new password through an emailed link."""
    users = service.force_password_reset(
        session,
        user_ids=None,
        settings=state.settings,
        ring=state.keyring,
        now=clock.utcnow(),
    )
    return ResetCountOut(users=len(users))


@router.get(
    "/{user_id:int}", response_model=AdminUserOut, responses=error_responses(NotFound, *_ERRORS)
)
@access(Role.ADMIN)
def get_user(user_id: RowId, session: ReadSessionDep) -> AdminUserOut:
    return _out(service.get_user(session, user_id=user_id))


@router.patch(
    "/{user_id:int}",
    response_model=AdminUserOut,
    responses=error_responses(NotFound, IdentityConflict, *_ERRORS),
)
@access(Role.ADMIN)
def update_user(user_id: RowId, body: UserPatch, session: SessionDep) -> AdminUserOut:
    """Rename a user or change their role."""
    user = service.update_user(
        session, user_id=user_id, name=body.name, role=body.role, now=clock.utcnow()
    )
    return _out(user)


@router.post(
    "/{user_id:int}/disable",
    response_model=AdminUserOut,
    responses=error_responses(NotFound, IdentityConflict, *_ERRORS),
)
@access(Role.ADMIN)
def disable_user(user_id: RowId, session: SessionDep) -> AdminUserOut:
    """Disable an account; its sessions and tokens stop working at once."""
    return _out(service.disable_user(session, user_id=user_id, now=clock.utcnow()))


@router.post(
    "/{user_id:int}/enable",
    response_model=AdminUserOut,
    responses=error_responses(NotFound, *_ERRORS),
)
@access(Role.ADMIN)
def enable_user(user_id: RowId, session: SessionDep) -> AdminUserOut:
    return _out(service.enable_user(session, user_id=user_id, now=clock.utcnow()))


@router.post(
    "/{user_id:int}/reset-2fa",
    response_model=AdminUserOut,
    responses=error_responses(NotFound, *_ERRORS),
)
@access(Role.ADMIN)
def reset_two_factor(user_id: RowId, session: SessionDep) -> AdminUserOut:
    """Turn off the user's TOTP; they enrol again at their next login."""
    return _out(service.reset_two_factor(session, user_id=user_id, now=clock.utcnow()))


@router.post(
    "/{user_id:int}/force-password-reset",
    response_model=ResetCountOut,
    responses=error_responses(NotFound, *_ERRORS),
)
@access(Role.ADMIN)
def force_password_reset(user_id: RowId, session: SessionDep, state: StateDep) -> ResetCountOut:
    """Void the user's password and email a reset link."""
    users = service.force_password_reset(
        session,
        user_ids=[user_id],
        settings=state.settings,
        ring=state.keyring,
        now=clock.utcnow(),
    )
    return ResetCountOut(users=len(users))
