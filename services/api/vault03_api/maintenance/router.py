"""Maintenance routes: everyone signed in sees the windows; admins schedule and switch."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status

from vault03_api import clock
from vault03_api.auth.access import ALL_ROLES, access, open_during_maintenance
from vault03_api.auth.exceptions import Forbidden, NotAuthenticated
from vault03_api.auth.models import Role
from vault03_api.bounds import RowId
from vault03_api.deps import ReadSessionDep, SessionDep, SettingsDep, StateDep
from vault03_api.errors import error_responses
from vault03_api.maintenance import service
from vault03_api.maintenance.exceptions import (
    InvalidWindow,
    MaintenanceConflict,
    WindowNotFound,
)
from vault03_api.maintenance.schemas import (
    AnnouncedOut,
    MaintenanceStatusOut,
    OffIn,
    OnIn,
    ScheduleIn,
    WindowOut,
)

router = APIRouter(prefix="/api/maintenance", tags=["maintenance"])

_AUTH_ERRORS = (NotAuthenticated, Forbidden)


@router.get("", response_model=MaintenanceStatusOut, responses=error_responses(*_AUTH_ERRORS))
@open_during_maintenance
@access(*ALL_ROLES)
def maintenance_status(session: ReadSessionDep) -> MaintenanceStatusOut:
    """The window that is on, if any, and the scheduled ones (for a banner)."""
    running = service.active_window(session)
    return MaintenanceStatusOut(
        on=WindowOut.of(running) if running else None,
        scheduled=[WindowOut.of(window) for window in service.scheduled_windows(session)],
    )


@router.post(
    "/windows",
    response_model=AnnouncedOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(InvalidWindow, MaintenanceConflict, *_AUTH_ERRORS),
)
@access(Role.ADMIN)
def schedule_window(body: ScheduleIn, session: SessionDep, settings: SettingsDep) -> AnnouncedOut:
    """Announce a window: every active staff user is emailed now (at least 24 h ahead)."""
    announced = service.schedule_window(
        session,
        starts_at=body.starts_at,
        duration=timedelta(minutes=body.duration_minutes),
        message=body.message,
        emergency=body.emergency,
        notify_share_recipients=body.notify_share_recipients,
        settings=settings,
        now=clock.utcnow(),
    )
    return AnnouncedOut.of(announced)


@router.delete(
    "/windows/{window_id}",
    response_model=WindowOut,
    responses=error_responses(WindowNotFound, MaintenanceConflict, *_AUTH_ERRORS),
)
@access(Role.ADMIN)
def cancel_window(window_id: RowId, session: SessionDep) -> WindowOut:
    """Call off a scheduled window before it starts (no email: tell people yourself)."""
    return WindowOut.of(service.cancel_window(session, window_id=window_id, now=clock.utcnow()))


@router.post(
    "/on",
    response_model=WindowOut,
    responses=error_responses(WindowNotFound, InvalidWindow, MaintenanceConflict, *_AUTH_ERRORS),
)
@access(Role.ADMIN)
def switch_on(session: SessionDep, state: StateDep, body: OnIn | None = None) -> WindowOut:
    """Maintenance on: everyone but admins gets 503 with Retry-After until it is off."""
    body = body or OnIn()
    window = service.start_window(
        session,
        now=clock.utcnow(),
        window_id=body.window_id,
        emergency=body.emergency,
        duration=timedelta(minutes=body.duration_minutes) if body.duration_minutes else None,
        message=body.message,
    )
    state.maintenance.invalidate_after_commit(session)
    return WindowOut.of(window)


@router.post(
    "/off",
    response_model=AnnouncedOut,
    responses=error_responses(MaintenanceConflict, *_AUTH_ERRORS),
)
@access(Role.ADMIN)
def switch_off(session: SessionDep, state: StateDep, body: OffIn | None = None) -> AnnouncedOut:
    """Maintenance off: service restored, and the restored notice is emailed."""
    body = body or OffIn()
    announced = service.end_window(
        session, settings=state.settings, now=clock.utcnow(), details=body.details
    )
    state.maintenance.invalidate_after_commit(session)
    return AnnouncedOut.of(announced)
