"""Operations endpoints: health for load balancers and humans."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pydantic import BaseModel

from vault03_api import __version__
from vault03_api.auth.access import open_during_maintenance, public
from vault03_api.deps import StateDep
from vault03_api.health import run_checks

router = APIRouter(tags=["ops"])


class CheckOut(BaseModel):
    status: str
    detail: str


class MaintenanceOut(BaseModel):
    window_id: int
    message: str
    planned: bool
    started_at: str
    until: str


class HealthOut(BaseModel):
    status: str  # ok, maintenance (switched on, every check passing), degraded
    version: str
    checks: dict[str, CheckOut]
    failing: list[str] = []
    maintenance: MaintenanceOut | None = None


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
