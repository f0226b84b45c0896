"""Operations endpoints: health for load balancers, the system status for admins."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from vault03_api import __version__, clock
from vault03_api.auth.access import access, open_during_maintenance, public
from vault03_api.auth.exceptions import Forbidden, NotAuthenticated
from vault03_api.auth.models import Role
from vault03_api.deps import ReadSessionDep, StateDep
from vault03_api.errors import error_responses
from vault03_api.health import run_checks
from vault03_api.ops import service
from vault03_api.ops.schemas import CheckOut, HealthOut, MaintenanceOut, SystemStatusOut

router = APIRouter(tags=["ops"])


@router.get(
    "/api/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "A check failed; it is named"}},
)
@open_during_maintenance
@public
async def health(state: StateDep) -> JSONResponse:
    """200 when every check passes (also during maintenance, reported in `maintenance`),
    503 naming the failing checks otherwise."""
    checks = run_checks(probe=state.health_probe, link=state.nats, settings=state.settings)
    maintenance = await state.maintenance.current()
    healthy = all(check.ok for check in checks.values())
    failing = [name for name, check in checks.items() if not check.ok]
    status = "degraded" if not healthy else "maintenance" if maintenance else "ok"
    body = HealthOut(
        status=status,
        version=__version__,
        checks={name: CheckOut(**check.as_json()) for name, check in checks.items()},
        failing=failing,
        maintenance=MaintenanceOut(**maintenance.as_json()) if maintenance else None,
    )
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)


@router.get("/metrics", include_in_schema=False)
@open_during_maintenance
@public  # scraped on the internal network; nginx does not pass /metrics through
def metrics() -> Response:
    """Prometheus exposition at /metrics itself (a mounted app would answer 307 first)."""
    # A plain def: FastAPI runs it in a worker thread, as the collectors read the database.
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/api/status",
    response_model=SystemStatusOut,
    responses=error_responses(NotAuthenticated, Forbidden),
)
@access(Role.ADMIN)
def system_status(session: ReadSessionDep, state: StateDep) -> SystemStatusOut:
    """The health checks, the delivery queue (counts by status, dead letters) and when each
    kind of backup last succeeded."""
    return service.system_status(
        session,
        probe=state.health_probe,
        link=state.nats,
        settings=state.settings,
        now=clock.utcnow(),
    )
