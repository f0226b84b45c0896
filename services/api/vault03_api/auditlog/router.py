"""Audit log routes for admins and auditors, and each customer's timeline for staff too."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from vault03_api.auditlog import service
from vault03_api.auditlog.schemas import AuditFilter, AuditPageOut, TimelinePage
from vault03_api.auth.access import access
from vault03_api.auth.exceptions import Forbidden, NotAuthenticated
from vault03_api.auth.models import Role
from vault03_api.bounds import MAX_INTEGER, RowId
from vault03_api.customers.exceptions import CustomerNotFound
from vault03_api.customers.service import get_customer
from vault03_api.deps import ReadSessionDep, StateDep
from vault03_api.errors import error_responses

router = APIRouter(prefix="/api", tags=["audit"])

FilterDep = Annotated[AuditFilter, Depends()]
_ERRORS = error_responses(NotAuthenticated, Forbidden)


@router.get("/audit", response_model=AuditPageOut, responses=_ERRORS)
@access(Role.ADMIN, Role.AUDITOR)
def list_entries(
    where: FilterDep,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_INTEGER)] = None,
) -> AuditPageOut:
    """Audit entries, newest first, filtered by entity, user, customer, action and time range,
    each with who did it and to what by name."""
    rows = service.search(session, where=where, limit=limit, before_id=before_id)
    next_before = rows[-1].id if len(rows) == limit else None
    return AuditPageOut(items=service.entries_out(session, rows), next_before_id=next_before)


@router.get(
    "/audit/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **_ERRORS},
)
@access(Role.ADMIN, Role.AUDITOR)
def export_csv(where: FilterDep, state: StateDep) -> StreamingResponse:
    """Every matching entry as CSV (same filters as the list)."""
    return StreamingResponse(
        service.csv_rows(state.engine, where=where),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="vault03-audit.csv"'},
    )


@router.get(
    "/customers/{customer_id}/timeline",
    response_model=TimelinePage,
    tags=["customers"],
    responses=error_responses(CustomerNotFound, NotAuthenticated, Forbidden),
)
@access(Role.ADMIN, Role.STAFF, Role.AUDITOR)
def customer_timeline(
    customer_id: RowId,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_INTEGER)] = None,
    summary: bool = True,
) -> TimelinePage:
    """Everything that happened for a customer, newest first: its record, vaults and files
    (by staff or sent back by a recipient), shares made, resent, extended and revoked, the
    messages that carried them with their status, and each visit, code and download through
    the links (`summary=false` adds the technical entries that repeat these)."""
    get_customer(session, customer_id=customer_id, include_deleted=True)
    return service.timeline(
        session, customer_id=customer_id, limit=limit, before_id=before_id, summary=summary
    )
