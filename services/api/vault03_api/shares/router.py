"""Share routes for staff: create, list, resend, revoke, extend; access log.

Admins and staff manage shares; auditors read them (metadata and access logs only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from vault03_api import clock
from vault03_api.auth.access import CurrentPrincipal, access
from vault03_api.auth.exceptions import Forbidden, NotAuthenticated
from vault03_api.auth.models import Role
from vault03_api.bounds import MAX_INTEGER, RowId, WindowDep
from vault03_api.customers.exceptions import CustomerNotFound, InvalidCustomer
from vault03_api.deps import ReadSessionDep, SessionDep, StateDep
from vault03_api.errors import error_responses
from vault03_api.shares import service, views
from vault03_api.shares.credentials import display_code, fresh_code
from vault03_api.shares.exceptions import (
    InvalidShare,
    InvalidSharedFiles,
    ShareClosed,
    ShareNotFound,
)
from vault03_api.shares.models import Share
from vault03_api.shares.schemas import (
    AccessPage,
    CodeResentOut,
    ExtendIn,
    ShareCreatedOut,
    ShareIn,
    ShareOut,
)
from vault03_api.transactions import run_write
from vault03_api.vaults.exceptions import VaultNotFound

router = APIRouter(prefix="/api", tags=["shares"])

_ERRORS = (NotAuthenticated, Forbidden)
_WRITERS = (Role.ADMIN, Role.STAFF)
_READERS = (Role.ADMIN, Role.STAFF, Role.AUDITOR)
_CHANGE_ERRORS = error_responses(ShareNotFound, ShareClosed, *_ERRORS)


def _one(session: Session, share: Share) -> ShareOut:
    return views.shares_out(session, [share], now=clock.utcnow())[0]


@router.post(
    "/vaults/{vault_id}/shares",
    response_model=ShareCreatedOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        VaultNotFound, InvalidShare, InvalidSharedFiles, InvalidCustomer, *_ERRORS
    ),
)
@access(*_WRITERS)
async def create_share(
    vault_id: RowId, body: ShareIn, principal: CurrentPrincipal, state: StateDep
) -> ShareCreatedOut:
    """Share a vault, or chosen documents of it (`file_ids`): the link goes by email, the
    access code over another channel (both through the outbox). The code is in this answer
    once, and never shown again."""
    code = await fresh_code(state.passwords)
    request = service.ShareRequest(
        recipient=body.recipient,
        permissions=body.permissions,
        code_channel=body.code_channel,
        expires_at=body.expires_at,
        max_downloads=body.max_downloads,
        note=body.note,
        notify_on_access=body.notify_on_access,
        file_ids=body.file_ids or (),
    )

    def create(session: Session) -> ShareOut:
        share = service.create_share(
            session,
            vault_id=vault_id,
            request=request,
            code=code,
            created_by=principal.user_id,
            settings=state.settings,
            ring=state.keyring,
            now=clock.utcnow(),
        )
        session.flush()
        return _one(session, share)

    out = await run_write(state.engine, create)
    return ShareCreatedOut(**out.model_dump(), access_code=display_code(code.code))


@router.get(
    "/vaults/{vault_id}/shares",
    response_model=list[ShareOut],
    responses=error_responses(VaultNotFound, *_ERRORS),
)
@access(*_READERS)
def list_vault_shares(
    vault_id: RowId, session: ReadSessionDep, window: WindowDep
) -> list[ShareOut]:
    """The vault's shares, newest first, with status and delivery statuses."""
    shares = service.list_shares(
        session, vault_id=vault_id, limit=window.limit, offset=window.offset
    )
    return views.shares_out(session, shares, now=clock.utcnow())


@router.get(
    "/customers/{customer_id}/shares",
    response_model=list[ShareOut],
    responses=error_responses(CustomerNotFound, *_ERRORS),
)
@access(*_READERS)
def list_customer_shares(
    customer_id: RowId, session: ReadSessionDep, window: WindowDep
) -> list[ShareOut]:
    """Every share of the customer's vaults, newest first."""
    shares = service.list_shares(
        session, customer_id=customer_id, limit=window.limit, offset=window.offset
    )
    return views.shares_out(session, shares, now=clock.utcnow())


@router.get(
    "/shares/{share_id}",
    response_model=ShareOut,
    responses=error_responses(ShareNotFound, *_ERRORS),
)
@access(*_READERS)
def get_share(share_id: RowId, session: ReadSessionDep) -> ShareOut:
    return _one(session, service.get_share(session, share_id=share_id))


@router.post("/shares/{share_id}/resend-link", response_model=ShareOut, responses=_CHANGE_ERRORS)
@access(*_WRITERS)
def resend_link(share_id: RowId, session: SessionDep, state: StateDep) -> ShareOut:
    """Email a new link (the old one stops working, open portal sessions end)."""
    share = service.resend_link(
        session,
        share_id=share_id,
        settings=state.settings,
        ring=state.keyring,
        now=clock.utcnow(),
    )
    return _one(session, share)


@router.post(
    "/shares/{share_id}/resend-code", response_model=CodeResentOut, responses=_CHANGE_ERRORS
)
@access(*_WRITERS)
async def resend_code(share_id: RowId, state: StateDep) -> CodeResentOut:
    """Send a new code over the share's channel; the old code stops, a lock is lifted."""
    code = await fresh_code(state.passwords)

    def resend(session: Session) -> ShareOut:
        share = service.resend_code(
            session,
            share_id=share_id,
            code=code,
            settings=state.settings,
            ring=state.keyring,
            now=clock.utcnow(),
        )
        session.flush()
        return _one(session, share)

    out = await run_write(state.engine, resend)
    return CodeResentOut(**out.model_dump(), access_code=display_code(code.code))


@router.post(
    "/shares/{share_id}/revoke",
    response_model=ShareOut,
    responses=error_responses(ShareNotFound, *_ERRORS),
)
@access(*_WRITERS)
def revoke(share_id: RowId, session: SessionDep) -> ShareOut:
    """Close the share now: the link answers 410, open portal sessions are refused."""
    return _one(session, service.revoke(session, share_id=share_id, now=clock.utcnow()))


@router.post(
    "/shares/{share_id}/extend",
    response_model=ShareOut,
    responses=error_responses(ShareNotFound, ShareClosed, InvalidShare, *_ERRORS),
)
@access(*_WRITERS)
def extend(share_id: RowId, body: ExtendIn, session: SessionDep, state: StateDep) -> ShareOut:
    """Move the expiry (at most share_max_days from now); an expired share opens again."""
    share = service.extend(
        session,
        share_id=share_id,
        expires_at=body.expires_at,
        settings=state.settings,
        now=clock.utcnow(),
    )
    return _one(session, share)


@router.get(
    "/shares/{share_id}/access",
    response_model=AccessPage,
    responses=error_responses(ShareNotFound, *_ERRORS),
)
@access(*_READERS)
def access_log(
    share_id: RowId,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_INTEGER)] = None,
) -> AccessPage:
    """Views, code attempts, downloads and uploads: time, address, browser, outcome."""
    rows = service.access_log(session, share_id=share_id, limit=limit, before_id=before_id)
    next_before = rows[-1].id if len(rows) == limit else None
    return AccessPage(items=[views.access_out(row) for row in rows], next_before_id=next_before)


@router.get(
    "/shares/{share_id}/access.csv",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}},
        **error_responses(ShareNotFound, *_ERRORS),
    },
)
@access(*_READERS)
def access_log_csv(share_id: RowId, session: ReadSessionDep, state: StateDep) -> StreamingResponse:
    """The whole access log as CSV."""
    service.get_share(session, share_id=share_id)
    return StreamingResponse(
        views.access_csv(state.engine, share_id=share_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="share-{share_id}-access.csv"'},
    )
