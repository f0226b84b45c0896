"""What the running API holds for its lifetime, reachable from requests as app.state.vault03."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from vault03_api.blobs.storage import BlobStore
from vault03_api.errors import AppError
from vault03_api.health import DatabaseProbe
from vault03_api.inflight import InFlight
from vault03_api.keyring import KeyRing, KeyRingSource
from vault03_api.passwords import Passwords
from vault03_api.settings import ApiSettings
from vault03_common.nats_link import NatsLink


class ActiveWindow(Protocol):
    """A maintenance window that is on, as requests see it."""

    def refusal(self) -> AppError:
        """The answer a caller gets while the window is on."""
        ...

    def as_json(self) -> dict[str, Any]:
        """The window as health and error bodies show it."""
        ...


class MaintenanceSwitch(Protocol):
    """Whether maintenance is on: the request policy and health ask, the maintenance domain
    flips it (maintenance/gate.py implements it, so nothing under the domains imports them)."""

    async def current(self) -> ActiveWindow | None:
        """The window that is on, if any."""
        ...

    def invalidate_after_commit(self, session: Session) -> None:
        """Forget the cached answer once `session` commits."""
        ...


@dataclass
class AppState:
    settings: ApiSettings
    engine: Engine
    nats: NatsLink
    keys: KeyRingSource  # re-read when `vault03 keys rotate` adds a version
    passwords: Passwords  # argon2id on its own low-priority threads
    blobs: BlobStore
    maintenance: MaintenanceSwitch  # is maintenance on? (flipped by another process, too)
    health_probe: DatabaseProbe  # the health checks' own read-only connection
    attempts: InFlight = field(default_factory=InFlight)  # login attempts being checked

    @property
    def keyring(self) -> KeyRing:
        """The master keys as they are now in the key directory."""
        return self.keys.get()
