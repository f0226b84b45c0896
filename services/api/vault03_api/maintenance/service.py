"""Maintenance windows: announce (at least 24 h ahead), switch on, switch off, cancel.

Services never commit: the caller's transaction (request or CLI command) holds the window row
and the notices it queues, so a notice goes out only if the window is stored, and vice versa.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from vault03_api.deliveries.service import enqueue_delivery
from vault03_api.maintenance.exceptions import (
    InvalidWindow,
    MaintenanceConflict,
    WindowNotFound,
)
from vault03_api.maintenance.models import MaintenanceWindow
from vault03_api.maintenance.recipients import (
    Recipient,
    active_share_recipients,
    staff_recipients,
    unique,
)
from vault03_api.settings import ApiSettings
from vault03_common.messages import MaintenanceNotice, ServiceRestored

MIN_NOTICE = timedelta(hours=24)  # the guide: notify users at least 24 hours in advance
# `on` picks up a scheduled window this long before its announced start.
EARLY_START = timedelta(hours=1)
MAX_DURATION = timedelta(days=7)
# Retry-After: never less than a minute; once past the announced end, every five minutes.
MIN_RETRY_AFTER = 60
OVERRUN_RETRY_AFTER = 300
DISPLAY_FORMAT = "%Y-%m-%d %H:%M UTC"


@dataclass(frozen=True)
class Notices:
    """How many emails were queued, by audience (each address once)."""

    staff: int
    share_recipients: int

    @property
    def total(self) -> int:
        return self.staff + self.share_recipients


@dataclass(frozen=True)
class Announced:
    window: MaintenanceWindow
    notices: Notices


def display(moment: datetime) -> str:
    """A time as the notices show it."""
    return moment.strftime(DISPLAY_FORMAT)


def _audiences(session: Session, *, shares: bool, now: datetime) -> tuple[list[Recipient], ...]:
    staff = unique(staff_recipients(session))
    if not shares:
        return staff, []
    known = {recipient.email.strip().lower() for recipient in staff}
    others = [
        recipient
        for recipient in unique(active_share_recipients(session, now=now))
        if recipient.email.strip().lower() not in known
    ]
    return staff, others


def _send(
    session: Session,
    *,
    message: MaintenanceNotice | ServiceRestored,
    window: MaintenanceWindow,
    now: datetime,
) -> Notices:
    staff, others = _audiences(session, shares=window.notify_share_recipients, now=now)
    for recipient in [*staff, *others]:
        written = message.model_copy(update={"language": recipient.language or message.language})
        outgoing = written.email(to=recipient.email, to_name=recipient.name)
        enqueue_delivery(session, outgoing=outgoing)
    return Notices(staff=len(staff), share_recipients=len(others))


def _check_window(
    *, starts_at: datetime, duration: timedelta, message: str, emergency: bool, now: datetime
) -> None:
    if not message.strip():
        raise InvalidWindow("a maintenance window needs a message (what is done, and why)")
    if not timedelta(0) < duration <= MAX_DURATION:
        raise InvalidWindow(f"the duration must be between 1 minute and {MAX_DURATION.days} days")
    notice = starts_at - now
    if notice < timedelta(0):
        raise InvalidWindow("the window starts in the past", detail={"starts_at": starts_at})
    if notice < MIN_NOTICE and not emergency:
        raise InvalidWindow(
            "users must be notified at least 24 hours ahead; start later, or mark the "
            "maintenance as an emergency",
            detail={
                "notice_hours": round(notice.total_seconds() / 3600, 1),
                "required_hours": MIN_NOTICE.total_seconds() / 3600,
            },
        )


def _open_windows(session: Session) -> list[MaintenanceWindow]:
    """Windows neither ended nor cancelled (scheduled, or on), earliest first."""
    statement = (
        select(MaintenanceWindow)
        .where(col(MaintenanceWindow.ended_at).is_(None))
        .where(col(MaintenanceWindow.cancelled_at).is_(None))
        .order_by(col(MaintenanceWindow.starts_at))
    )
    return list(session.exec(statement).all())


def schedule_window(
    session: Session,
    *,
    starts_at: datetime,
    duration: timedelta,
    message: str,
    emergency: bool,
    notify_share_recipients: bool,
    settings: ApiSettings,
    now: datetime,
) -> Announced:
    """Store a window and queue a maintenance_notice email to every active staff user (and
    to the recipients of active shares when asked)."""
    _check_window(
        starts_at=starts_at, duration=duration, message=message, emergency=emergency, now=now
    )
    ends_at = starts_at + duration
    for other in _open_windows(session):
        if other.starts_at < ends_at and starts_at < other.ends_at:
            raise MaintenanceConflict(
                f"overlaps maintenance window {other.id} "
                f"({display(other.starts_at)} to {display(other.ends_at)}); cancel it first",
                detail={"window_id": other.id},
            )
    window = MaintenanceWindow(
        starts_at=starts_at,
        ends_at=ends_at,
        message=message.strip(),
        emergency=emergency,
        notify_share_recipients=notify_share_recipients,
        created_at=now,
    )
    notices = _send(
        session,
        message=MaintenanceNotice(
            office=settings.office,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=window.message,
            short_notice=emergency,
        ),
        window=window,
        now=now,
    )
    window.notices_sent = notices.total
    session.add(window)
    session.flush()
    return Announced(window, notices)


def active_window(session: Session) -> MaintenanceWindow | None:
    """The window that is on (the API answers 503 to all but admins), if any."""
    statement = (
        select(MaintenanceWindow)
        .where(col(MaintenanceWindow.started_at).is_not(None))
        .where(col(MaintenanceWindow.ended_at).is_(None))
        .where(col(MaintenanceWindow.cancelled_at).is_(None))
    )
    return session.exec(statement).first()


def scheduled_windows(session: Session) -> list[MaintenanceWindow]:
    """Announced windows not yet switched on (nor cancelled), earliest first."""
    return [window for window in _open_windows(session) if window.started_at is None]


def _get(session: Session, window_id: int) -> MaintenanceWindow:
    window = session.get(MaintenanceWindow, window_id)
    if window is None:
        raise WindowNotFound(window_id)
    return window


def _due_window(session: Session, *, now: datetime) -> MaintenanceWindow | None:
    for window in scheduled_windows(session):
        if window.starts_at - EARLY_START <= now < window.ends_at:
            return window
    return None


def start_window(
    session: Session,
    *,
    now: datetime,
    window_id: int | None = None,
    emergency: bool = False,
    duration: timedelta | None = None,
    message: str | None = None,
) -> MaintenanceWindow:
    """Switch maintenance on: the scheduled window that is due (or the one named), or with
    `emergency` a new unannounced window of `duration` starting now."""
    running = active_window(session)
    if running is not None:
        raise MaintenanceConflict(
            f"maintenance is already on (window {running.id})", detail={"window_id": running.id}
        )
    if window_id is not None:
        window = _get(session, window_id)
        if window.started_at is not None or window.cancelled_at is not None:
            raise MaintenanceConflict(f"maintenance window {window_id} is over or cancelled")
    else:
        due = _due_window(session, now=now)
        if due is None:
            if not emergency:
                raise MaintenanceConflict(
                    "no scheduled maintenance window is due now: schedule one (at least 24 h "
                    "ahead), name one with its id, or switch on emergency maintenance",
                    detail={"scheduled": [w.id for w in scheduled_windows(session)]},
                )
            duration = duration or timedelta(hours=1)
            _check_window(
                starts_at=now,
                duration=duration,
                message=message or "emergency maintenance",
                emergency=True,
                now=now,
            )
            due = MaintenanceWindow(
                starts_at=now,
                ends_at=now + duration,
                message=(message or "emergency maintenance").strip(),
                emergency=True,
                created_at=now,
            )
        window = due
    window.started_at = now
    session.add(window)
    session.flush()
    return window


def end_window(
    session: Session, *, settings: ApiSettings, now: datetime, details: str | None = None
) -> Announced:
    """Switch maintenance off and queue the service_restored email to the same audience as
    the notice (staff; share recipients when the window asked for them)."""
    window = active_window(session)
    if window is None:
        raise MaintenanceConflict("maintenance is not on")
    window.ended_at = now
    session.add(window)
    notices = _send(
        session,
        message=ServiceRestored(office=settings.office, restored_at=now, details=details),
        window=window,
        now=now,
    )
    return Announced(window, notices)


def cancel_window(session: Session, *, window_id: int, now: datetime) -> MaintenanceWindow:
    """Call off a scheduled window that has not started (no email is sent)."""
    window = _get(session, window_id)
    if window.started_at is not None or window.cancelled_at is not None:
        raise MaintenanceConflict(f"maintenance window {window_id} is on, over or cancelled")
    window.cancelled_at = now
    session.add(window)
    return window


def retry_after(ends_at: datetime, *, now: datetime) -> int:
    """Seconds a client should wait: until the announced end, at least a minute."""
    remaining = (ends_at - now).total_seconds()
    if remaining <= 0:
        return OVERRUN_RETRY_AFTER
    return max(MIN_RETRY_AFTER, math.ceil(remaining))
