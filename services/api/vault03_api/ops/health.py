"""Health checks: database, migrations, disk and NATS, each named when it fails."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from sqlalchemy import Engine

from vault03_api.db import read_only_connection
from vault03_api.migrations import head_revision
from vault03_api.nats_link import NatsLink
from vault03_api.settings import ApiSettings


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"status": "ok" if self.ok else "fail", "detail": self.detail}


def check_database(engine: Engine) -> tuple[Check, Check]:
    """Readable, and at the code's migration head: one read on one connection answers both."""
    head = head_revision()
    try:
        with read_only_connection(engine) as connection:
            found = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE name = 'alembic_version'"
            ).first()
            current = (
                connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                if found is not None
                else None
            )
    except Exception as exc:
        failure = f"database unreadable: {type(exc).__name__}"
        return Check(False, failure), Check(False, f"revision unknown: {type(exc).__name__}")
    readable = Check(True, "readable")
    if current != head:
        return readable, Check(False, f"database at {current}, code expects {head}")
    return readable, Check(True, f"at {head}")


def check_disk(settings: ApiSettings) -> Check:
    usage = shutil.disk_usage(settings.data_dir)
    percent = 100.0 * usage.used / usage.total
    detail = f"{percent:.1f}% used, limit {settings.disk_usage_max_percent:g}%"
    return Check(percent <= settings.disk_usage_max_percent, detail)


def check_nats(link: NatsLink, settings: ApiSettings) -> Check:
    down = link.seconds_down()
    if down == 0:
        return Check(True, "connected")
    if down <= settings.nats_grace_seconds:
        return Check(True, f"reconnecting for {down:.0f}s")
    return Check(False, f"unreachable for {down:.0f}s")


def run_checks(*, engine: Engine, link: NatsLink, settings: ApiSettings) -> dict[str, Check]:
    """Every check by name (also run at each metrics scrape, see ops.metrics)."""
    database, migrations = check_database(engine)
    return {
        "database": database,
        "migrations": migrations,
        "disk": check_disk(settings),
        "nats": check_nats(link, settings),
    }
