"""What the running API holds for its lifetime, reachable from requests as app.state.vault03."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from vault03_api.auth.passwords import Passwords
from vault03_api.auth.throttle import InFlight
from vault03_api.keyring import KeyRing
from vault03_api.nats_link import NatsLink
from vault03_api.settings import ApiSettings


@dataclass
class AppState:
    settings: ApiSettings
    engine: Engine
    nats: NatsLink
    keyring: KeyRing  # loaded once at start-up
    passwords: Passwords  # argon2id on its own low-priority threads
    attempts: InFlight = field(default_factory=InFlight)  # login attempts being checked
