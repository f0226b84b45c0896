"""Health checks: database, migrations, disk and NATS, each named when it fails."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pysqlite3.dbapi2 as sqlite

from vault03_api.migrations import head_revision
from vault03_api.settings import ApiSettings
from vault03_common.nats_link import NatsLink

# A WAL reader waits only in rare moments (recovery after a crash); never hold the loop long.
PROBE_BUSY_TIMEOUT_SECONDS = 0.25


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"status": "ok" if self.ok else "fail", "detail": self.detail}


class DatabaseProbe:
    """The health checks' own read-only connection, reopened whenever the files change.

    Health runs on the event loop: two point reads on a connection nobody else uses cost
    microseconds, less than a thread hop, and a thread hop is what queues behind a login storm.
    The pool is never touched here, so the loop cannot wait for a connection. A connection
    kept open could read a replaced or broken file through its cached view, so it is reopened
    when the database is not the same file, or not the same size and age, as when it was
    opened (a checkpoint counts: a cheap reopen now and then), or its WAL is not the same
    file. The WAL's size and age change with every commit, and committed changes are seen by
    the next read anyway: reopening for them would reopen at every check under load.
    """

    def __init__(self, database: Path) -> None:
        # Absolute: a file: URI cannot name a relative path (make run's default var/data).
        self.database = database.absolute()
        self._files = (self.database, self.database.with_name(f"{database.name}-wal"))
        self._connection: sqlite.Connection | None = None
        self._opened_on: tuple[tuple[int, ...], ...] = ()
        # Seen the alembic_version table on this connection: migrations create it once, so
        # only a new file (which reopens the connection) can lack it. Skipping the lookup
        # halves the statements per check, and each one lets go of the GIL several times:
        # under a login storm a transaction thread may take it every time.
        self._versioned = False
        self._lock = threading.Lock()  # a metrics scrape reads it from another thread

    def revision(self) -> str | None:
        """The database's migration revision (None before the first migration)."""
        with self._lock:
            try:
                connection = self._current()
                if not self._versioned:
                    found = connection.execute(
                        "SELECT name FROM sqlite_master WHERE name = 'alembic_version'"
                    ).fetchone()
                    if found is None:
                        return None
                    self._versioned = True
                row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            except (sqlite.Error, OSError):
                self._close()
                raise
            return None if row is None else str(row[0])

    def _identity(self) -> tuple[tuple[int, ...], ...]:
        database, wal = (_file_identity(path) for path in self._files)
        return database, wal[:2]

    def _current(self) -> sqlite.Connection:
        identity = self._identity()
        if self._connection is not None and identity == self._opened_on:
            return self._connection
        self._close()
        self._connection = sqlite.connect(
            f"{self.database.as_uri()}?mode=ro",
            uri=True,
            timeout=PROBE_BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
        )
        self._opened_on = identity
        return self._connection

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._versioned = False

    def close(self) -> None:
        with self._lock:
            self._close()


def _file_identity(path: Path) -> tuple[int, int, int, int]:
    try:
        st = path.stat()
    except FileNotFoundError:
        return (0, 0, 0, 0)  # no WAL while no connection is open; the database itself must be
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def check_database(probe: DatabaseProbe) -> tuple[Check, Check]:
    """Readable, and at the code's migration head: one read answers both."""
    head = head_revision()
    try:
        current = probe.revision()
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


def run_checks(*, probe: DatabaseProbe, link: NatsLink, settings: ApiSettings) -> dict[str, Check]:
    """Every check by name (also run at each metrics scrape, see ops.metrics)."""
    database, migrations = check_database(probe)
    return {
        "database": database,
        "migrations": migrations,
        "disk": check_disk(settings),
        "nats": check_nats(link, settings),
    }
