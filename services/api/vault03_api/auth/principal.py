"""The authenticated caller of a request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vault03_api.auth.models import Role, Stage


@dataclass(frozen=True)
class Principal:
    user_id: int
    email: str
    name: str
    role: Role
    stage: Stage
    via: Literal["session", "token"]
    session_id: str | None = None
    csrf_token: str | None = None
    token_id: str | None = None
    # Its last recorded use is older than a minute: the request records it (sessions.py).
    stale_activity: bool = False
