"""Identity test harness: an API on a real SQLite file, a controllable clock, staff accounts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from tests.support import free_port
from tests.support.outbox import render_outbox
from vault03_api import clock as clock_module
from vault03_api import sealing
from vault03_api.auth import totp
from vault03_api.auth.models import User
from vault03_api.auth.service import totp_purpose
from vault03_api.db import session_scope
from vault03_api.deliveries.models import Delivery
from vault03_api.main import create_app
from vault03_api.settings import ApiSettings
from vault03_api.state import AppState

PASSWORD = "correct horse battery staple"
CSRF = "X-CSRF-Token"


class FakeClock:
    """Replaces vault03_api.clock.utcnow; time moves only when a test says so."""

    def __init__(self) -> None:
        real = datetime.now(UTC).replace(microsecond=0)
        # Start five seconds into a TOTP step, so codes are predictable.
        self.now = real - timedelta(seconds=real.timestamp() % 30) + timedelta(seconds=5)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_settings(tmp_path: Path, **overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "keys_dir": tmp_path / "keys",
        "backup_dir": tmp_path / "backup",
        # No broker: deliveries stay queued in the outbox, where the tests read them.
        "nats_url": f"nats://127.0.0.1:{free_port()}",
        "public_url": "https://vault.example.org",
    }
    values.update(overrides)
    return ApiSettings(**values)


@dataclass
class Harness:
    client: TestClient
    clock: FakeClock
    created: dict[str, str | None] = field(default_factory=dict)

    @property
    def state(self) -> AppState:
        state: AppState = self.client.app.state.vault03  # type: ignore[attr-defined]
        return state

    def db(self) -> Any:
        return session_scope(self.state.engine)

    def create_user(
        self,
        email: str,
        *,
        role: str = "staff",
        password: str | None = PASSWORD,
        two_factor: bool = True,
        name: str = "Test User",
    ) -> int:
        """A user straight in the database; its TOTP secret (if any) is in `self.created`."""
        hashed = self.state.passwords.hash_now(password) if password else None
        with self.db() as session:
            user = User(email=email, name=name, role=role, password_hash=hashed)
            session.add(user)
            session.flush()
            assert user.id is not None
            secret = None
            if two_factor:
                secret = totp.new_secret()
                purpose = totp_purpose(user.id)
                user.totp_secret = sealing.seal(
                    self.state.keyring, secret.encode(), purpose=purpose
                )
                user.two_factor_enabled = True
            self.created[email] = secret
            return user.id

    def cli_env(self) -> dict[str, str]:
        """The environment that points the `vault03` command at this API's directories."""
        settings = self.state.settings
        return {
            "VAULT03_API_DATA_DIR": str(settings.data_dir),
            "VAULT03_API_KEYS_DIR": str(settings.keys_dir),
            "VAULT03_API_BACKUP_DIR": str(settings.backup_dir),
            "VAULT03_API_PUBLIC_URL": settings.public_url,
        }

    def code(self, email: str, *, steps: int = 0) -> str:
        secret = self.created[email]
        assert secret is not None
        return totp.code_at_step(secret, totp.current_step(self.clock.now) + steps)

    def login(
        self, email: str, *, password: str = PASSWORD, client: TestClient | None = None
    ) -> str:
        """Both steps; returns the CSRF token of the full session (cookie kept by the client)."""
        client = client or self.client
        response = client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        body = response.json()
        if body["stage"] == "totp":
            response = client.post(
                "/api/auth/totp",
                json={"code": self.code(email)},
                headers={CSRF: body["csrf_token"]},
            )
            assert response.status_code == 200, response.text
            body = response.json()
            self.clock.advance(seconds=30)  # the next login needs a fresh code
        assert body["stage"] == "full", body
        return str(body["csrf_token"])

    def new_client(self) -> TestClient:
        """Another browser on the same running app (its own cookie jar)."""
        return TestClient(self.client.app, base_url="https://testserver")

    def user(self, email: str) -> User:
        with self.db() as session:
            user = session.exec(select(User).where(User.email == email)).one()
            return user

    def deliveries(self, kind: str | None = None) -> list[Delivery]:
        with self.db() as session:
            statement = select(Delivery)
            if kind is not None:
                statement = statement.where(Delivery.kind == kind)
            return list(session.exec(statement).all())

    def audit(self, **where: Any) -> list[dict[str, Any]]:
        """Audit rows matching `where` (column = value), oldest first, values parsed."""
        clause = " AND ".join(f"{column} = :{column}" for column in where) or "1 = 1"
        with self.db() as session:
            rows = session.execute(
                text(f"SELECT * FROM audit_logs WHERE {clause} ORDER BY id"),  # noqa: S608
                where,
            ).mappings()
            return [
                {
                    **row,
                    "old_values": json.loads(row["old_values"]) if row["old_values"] else None,
                    "new_values": json.loads(row["new_values"]) if row["new_values"] else None,
                }
                for row in rows
            ]

    def sql(self, statement: str, **params: Any) -> Any:
        with self.db() as session:
            result = session.execute(text(statement), params)
            return result.all() if result.returns_rows else result.rowcount  # type: ignore[attr-defined]


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(clock_module, "utcnow", fake)
    return fake


def harness_for(settings: ApiSettings, fake_clock: FakeClock) -> Iterator[Harness]:
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        harness = Harness(client, fake_clock)
        yield harness
        # Every message the test made can be sent (sealed ones opened with the keys).
        render_outbox(harness.state.engine, harness.state.keyring)


@pytest.fixture
def harness(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Harness]:
    yield from harness_for(make_settings(tmp_path), fake_clock)
