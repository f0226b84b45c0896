"""The running API's view of the maintenance switch, which `vault03 maintenance on|off` flips
from another process: re-read from the database at most every `maintenance_check_seconds`,
so a request costs a clock read, not a query."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session

from vault03_api import clock
from vault03_api.db import read_only_session
from vault03_api.maintenance.exceptions import UnderMaintenance
from vault03_api.maintenance.models import MaintenanceWindow
from vault03_api.maintenance.service import active_window, retry_after
from vault03_api.timestamps import to_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActiveMaintenance:
    """The window that is on, as requests see it."""

    window_id: int
    message: str
    starts_at: datetime
    ends_at: datetime
    started_at: datetime
    emergency: bool

    @classmethod
    def of(cls, window: MaintenanceWindow) -> ActiveMaintenance:
        assert window.id is not None and window.started_at is not None
        return cls(
            window_id=window.id,
            message=window.message,
            starts_at=window.starts_at,
            ends_at=window.ends_at,
            started_at=window.started_at,
            emergency=window.emergency,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "window_id": self.window_id,
            "message": self.message,
            "planned": not self.emergency,
            "started_at": to_text(self.started_at),
            "until": to_text(self.ends_at),
        }

    def refusal(self) -> UnderMaintenance:
        """The 503 a non-admin gets while this window is on."""
        seconds = retry_after(self.ends_at, now=clock.utcnow())
        return UnderMaintenance(retry_after=seconds, detail=self.as_json())


def read_active(engine: Engine) -> ActiveMaintenance | None:
    """The window that is on, read without taking the write lock."""
    with read_only_session(engine) as session:
        window = active_window(session)
        return None if window is None else ActiveMaintenance.of(window)


class MaintenanceGate:
    """A cached answer to "is maintenance on?", refreshed after `ttl_seconds`."""

    def __init__(self, engine: Engine, *, ttl_seconds: float) -> None:
        self.engine = engine
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        self._value: ActiveMaintenance | None = None
        self._read_at: float | None = None
        # Its own thread: health and the access check never wait for the request threads
        # (a crowd can keep all of them busy), and concurrent refreshes queue for one read.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="maintenance-gate")

    def _fresh(self) -> bool:
        return self._read_at is not None and time.monotonic() - self._read_at < self.ttl_seconds

    def refresh(self) -> ActiveMaintenance | None:
        """Read the switch now (on failure the last answer stands, and is logged)."""
        with self._lock:
            if self._fresh():
                return self._value
            try:
                self._value = read_active(self.engine)
            except Exception:
                log.exception("could not read the maintenance switch; keeping the last answer")
            self._read_at = time.monotonic()
            return self._value

    async def current(self) -> ActiveMaintenance | None:
        """The active window, from the cache while it is fresh."""
        if self._fresh():
            return self._value
        return await asyncio.wrap_future(self._thread.submit(self.refresh))

    def close(self) -> None:
        """Stop the gate's thread (at shutdown)."""
        self._thread.shutdown(wait=False, cancel_futures=True)

    def invalidate(self) -> None:
        """Forget the cached answer (this process just flipped the switch)."""
        with self._lock:
            self._read_at = None

    def invalidate_after_commit(self, session: Session) -> None:
        """Forget the cached answer once `session` has committed the flip."""
        event.listen(session, "after_commit", lambda _session: self.invalidate(), once=True)
