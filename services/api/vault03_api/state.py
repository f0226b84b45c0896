"""What the running API holds for its lifetime, reachable from requests as app.state.vault03."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from vault03_api.blobs.storage import BlobStore
from vault03_api.inflight import InFlight
from vault03_api.keyring import KeyRing, KeyRingSource
from vault03_api.maintenance.gate import MaintenanceGate
from vault03_api.nats_link import NatsLink
from vault03_api.ops.health import DatabaseProbe
from vault03_api.passwords import Passwords
from vault03_api.settings import ApiSettings


@dataclass
class AppState:
    settings: ApiSettings
    engine: Engine
    nats: NatsLink
    keys: KeyRingSource  # re-read when `vault03 keys rotate` adds a version
    passwords: Passwords  # argon2id on its own low-priority threads
    blobs: BlobStore
    maintenance: MaintenanceGate  # is maintenance on? (flipped by another process, too)
    health_probe: DatabaseProbe  # the health checks' own read-only connection
    attempts: InFlight = field(default_factory=InFlight)  # login attempts being checked

    @property
    def keyring(self) -> KeyRing:
        """The master keys as they are now in the key directory."""
        return self.keys.get()
