"""Operations endpoints: health for load balancers, the system status for admins."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from vault03_api import __version__, clock
from vault03_api.auth.access import access, open_during_maintenance, public
from vault03_api.auth.exceptions import Forbidden, NotAuthenticated
from vault03_api.auth.models import Role
from vault03_api.deps import ReadSessionDep, StateDep
from vault03_api.errors import error_responses
from vault03_api.health import run_checks
from vault03_api.ops import service
from vault03_api.ops.schemas import CheckOut, HealthOut, MaintenanceOut, SystemStatusOut
from vault03_api.state import AppState

router = APIRouter(tags=["ops"])
HEALTH_PATH = "/api/health"


async def health_answer(state: AppState) -> tuple[int, HealthOut]:
    """The status code and body of /api/health, from what the API already holds: its own
    read-only connection, the NATS link's state and the cached maintenance switch."""
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
    return (200 if healthy else 503), body


@router.get(
    HEALTH_PATH,
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "A check failed; it is named"}},
)
@open_during_maintenance
@public
async def health(state: StateDep) -> JSONResponse:
    """200 when every check passes (also during maintenance, reported in `maintenance`),
    503 naming the failing checks otherwise."""
    # HealthFirst answers in front of the routes once the API has started; this route
    # declares the endpoint and answers only before then.
    status_code, body = await health_answer(state)
    return JSONResponse(body.model_dump(), status_code=status_code)


class HealthFirst:
    """Answers `GET /api/health` before FastAPI's middleware, routing and dependencies.

    Probes ask every few seconds, and a busy API must answer them at once: through the whole
    stack an answer cost several times the checks themselves, event-loop time spent while
    requests queued for it (figures: bench/README.md, crowd.py). Everything else, and health
    before the lifespan has set the state up, goes down the stack.
    """

    def __init__(self, app: ASGIApp, *, holder: Starlette) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: AppState | None = getattr(self.holder.state, "vault03", None)
        if (
            state is None
            or scope["type"] != "http"
            or scope["path"] != HEALTH_PATH
            or scope["method"] != "GET"
        ):
            await self.app(scope, receive, send)
            return
        status_code, body = await health_answer(state)
        content = body.model_dump_json().encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
        ]
        await send({"type": "http.response.start", "status": status_code, "headers": headers})
        await send({"type": "http.response.body", "body": content})


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
