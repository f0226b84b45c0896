"""Audit log routes for admins and auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from vault03_api.auditlog import service
from vault03_api.auditlog.schemas import AuditFilter, AuditPageOut
from vault03_api.auth.access import access
from vault03_api.auth.exceptions import Forbidden, NotAuthenticated
from vault03_api.auth.models import Role
from vault03_api.bounds import MAX_INTEGER
from vault03_api.deps import ReadSessionDep, StateDep
from vault03_api.errors import error_responses

router = APIRouter(prefix="/api/audit", tags=["audit"])

FilterDep = Annotated[AuditFilter, Depends()]
_ERRORS = error_responses(NotAuthenticated, Forbidden)


@router.get("", response_model=AuditPageOut, responses=_ERRORS)
@access(Role.ADMIN, Role.AUDITOR)
def list_entries(
    where: FilterDep,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_INTEGER)] = None,
) -> AuditPageOut:
    """Audit entries, newest first, filtered by entity, user, action and time range."""
    rows = service.search(session, where=where, limit=limit, before_id=before_id)
    next_before = rows[-1].id if len(rows) == limit else None
    return AuditPageOut(items=[service.entry_out(row) for row in rows], next_before_id=next_before)


@router.get(
    "/export.csv",
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
