"""`vault03 maintenance ...`: announce a window, switch maintenance on and off, and check it."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta

import click
from sqlalchemy.exc import OperationalError

from vault03_api import clock
from vault03_api.cli_support import open_database, run_command
from vault03_api.db import create_db_engine
from vault03_api.maintenance import service
from vault03_api.maintenance.gate import read_active
from vault03_api.maintenance.models import MaintenanceWindow
from vault03_api.settings import ApiSettings

_DURATION = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?$")


def parse_duration(text: str) -> timedelta:
    """`2h`, `90m`, `1h30m`, `1d`: a positive duration."""
    match = _DURATION.match(text.strip().lower())
    if not text.strip() or match is None:
        raise click.BadParameter(f"{text!r}: write it as 2h, 90m, 1h30m or 1d")
    parts = {key: int(value or 0) for key, value in match.groupdict().items()}
    duration = timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"])
    if duration <= timedelta(0):
        raise click.BadParameter("the duration must be positive")
    return duration


def parse_start(text: str) -> datetime:
    """ISO 8601 (`2026-03-01 22:00`, `2026-03-01T22:00+01:00`); UTC when no offset is given."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r}: write it as YYYY-MM-DD HH:MM (UTC) or ISO 8601"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _describe(window: MaintenanceWindow) -> str:
    kind = "emergency" if window.emergency else "planned"
    return (
        f"window {window.id} ({kind}): {service.display(window.starts_at)} to "
        f"{service.display(window.ends_at)}: {window.message}"
    )


def _echo_notices(what: str, notices: service.Notices, *, shares: bool) -> None:
    click.echo(f"{what} queued for {notices.staff} staff users", nl=not shares)
    if shares:
        click.echo(f" and {notices.share_recipients} share recipients")


@click.group()
def maintenance() -> None:
    """Maintenance windows: announce (24 h ahead), switch on and off, check."""


@maintenance.command("schedule")
@click.option("--start", "start", required=True, help="UTC unless an offset is given.")
@click.option("--duration", "duration", required=True, help="e.g. 2h, 90m, 1h30m.")
@click.option("--message", required=True, help="What is done, and why (shown to users).")
@click.option("--notify-share-recipients", is_flag=True, help="Also email active share recipients.")
@click.option("--emergency", is_flag=True, help="Allow less than 24 hours of notice.")
def schedule(
    start: str, duration: str, message: str, notify_share_recipients: bool, emergency: bool
) -> None:
    """Announce a window: every active staff user is emailed now."""
    starts_at, length = parse_start(start), parse_duration(duration)
    settings = ApiSettings()
    engine = open_database(settings)
    announced = run_command(
        engine,
        service.schedule_window,
        starts_at=starts_at,
        duration=length,
        message=message,
        emergency=emergency,
        notify_share_recipients=notify_share_recipients,
        settings=settings,
        now=clock.utcnow(),
    )
    click.echo(f"scheduled {_describe(announced.window)}")
    _echo_notices("maintenance notice", announced.notices, shares=notify_share_recipients)
    click.echo(f"at its start run: vault03 maintenance on   (window {announced.window.id})")


@maintenance.command("on")
@click.option("--window", "window_id", type=int, help="Default: the scheduled window due now.")
@click.option("--emergency", is_flag=True, help="No window due: start an unannounced one now.")
@click.option("--duration", help="Emergency only: expected length (default 1h), e.g. 30m.")
@click.option("--message", help="Emergency only: shown on the maintenance page.")
def switch_on(
    window_id: int | None, emergency: bool, duration: str | None, message: str | None
) -> None:
    """Maintenance on: the API answers 503 with Retry-After to everyone but admins."""
    if (duration or message) and not emergency:
        raise click.UsageError("--duration and --message go with --emergency")
    engine = open_database(ApiSettings())
    window = run_command(
        engine,
        service.start_window,
        now=clock.utcnow(),
        window_id=window_id,
        emergency=emergency,
        duration=parse_duration(duration) if duration else None,
        message=message,
    )
    click.echo(f"maintenance is ON: {_describe(window)}")
    click.echo("the API answers 503 to everyone but admins; end it with: vault03 maintenance off")


@maintenance.command("off")
@click.option("--message", "details", help="Added to the 'service restored' email.")
def switch_off(details: str | None) -> None:
    """Maintenance off: service restored, and the restored notice is emailed."""
    settings = ApiSettings()
    engine = open_database(settings)
    announced = run_command(
        engine, service.end_window, settings=settings, now=clock.utcnow(), details=details
    )
    click.echo(f"maintenance is OFF: {_describe(announced.window)}")
    _echo_notices(
        "service restored notice",
        announced.notices,
        shares=announced.window.notify_share_recipients,
    )


@maintenance.command("cancel")
@click.argument("window_id", type=int)
def cancel(window_id: int) -> None:
    """Call off a scheduled window before it starts (no email is sent: tell people yourself)."""
    engine = open_database(ApiSettings())
    window = run_command(engine, service.cancel_window, window_id=window_id, now=clock.utcnow())
    click.echo(f"cancelled {_describe(window)}")


@maintenance.command("status")
def status() -> None:
    """Whether maintenance is on, and the scheduled windows."""
    engine = open_database(ApiSettings())
    running = run_command(engine, lambda session: service.active_window(session))
    scheduled = run_command(engine, lambda session: service.scheduled_windows(session))
    click.echo(f"maintenance is ON: {_describe(running)}" if running else "maintenance is off")
    for window in scheduled:
        click.echo(f"scheduled {_describe(window)}")


@maintenance.command("check")
def check() -> None:
    """Exit 0 while maintenance is on, 1 otherwise (for monitoring scripts); never migrates."""
    settings = ApiSettings()
    if not settings.database_path.is_file():
        sys.exit(1)
    try:
        active = read_active(create_db_engine(settings.database_path))
    except OperationalError as error:  # a database from before maintenance windows existed
        click.echo(f"cannot read the maintenance switch: {error}", err=True)
        sys.exit(1)
    if active is None:
        sys.exit(1)
    until = service.display(active.ends_at)
    click.echo(f"maintenance is on (window {active.window_id}), announced until {until}")
