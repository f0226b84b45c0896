"""`vault03 maintenance ...` from another process than the running API, as an operator runs it
(`docker compose exec api vault03 maintenance on`): the API notices, and monitoring can ask."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import httpx
import pytest
from sqlmodel import select

from tests.support import NatsServer, wait_for
from tests.support.api_process import VAULT03, ApiProcess
from vault03_api.auth.models import User
from vault03_api.db import create_db_engine, session_scope
from vault03_api.deliveries.models import Delivery
from vault03_api.maintenance.cli import parse_duration, parse_start


def test_durations_and_start_times_parse_as_operators_write_them() -> None:
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("1d") == timedelta(days=1)
    for bad in ("", "0m", "2 hours", "-1h", "h"):
        with pytest.raises(click.BadParameter):
            parse_duration(bad)
    assert parse_start("2030-03-01 22:00") == datetime(2030, 3, 1, 22, 0, tzinfo=UTC)
    assert parse_start("2030-03-01T22:00+01:00") == datetime(2030, 3, 1, 21, 0, tzinfo=UTC)
    with pytest.raises(click.BadParameter):
        parse_start("tomorrow")


@pytest.fixture
def api(tmp_path: Path, nats_server: NatsServer) -> Iterator[ApiProcess]:
    process = ApiProcess(tmp_path / "vault03", nats_url=nats_server.url)
    process.start()
    engine = create_db_engine(process.root / "data" / "data.db")
    with session_scope(engine) as session:
        session.add(User(name="Ada", email="ada@example.org", role="admin"))
        session.add(User(name="Sam", email="sam@example.org", role="staff"))
        session.add(User(name="Old", email="old@example.org", deleted_at=datetime.now(UTC)))
    engine.dispose()
    yield process
    process.stop()


def vault03(api: ApiProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VAULT03, "maintenance", *args], env=api.env, capture_output=True, text=True, timeout=120
    )


def kinds(api: ApiProcess) -> list[str]:
    engine = create_db_engine(api.root / "data" / "data.db")
    with session_scope(engine) as session:
        rows = [d.kind for d in session.exec(select(Delivery).order_by(Delivery.created_at))]
    engine.dispose()
    return rows


def status(api: ApiProcess) -> int:
    return httpx.get(f"{api.url}/api/customers", timeout=10).status_code


@pytest.mark.fleet
def test_the_switch_flipped_by_the_cli_reaches_the_running_api(api: ApiProcess) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M")
    schedule = ["schedule", "--start", soon, "--duration", "1h", "--message", "New disks"]
    refused = vault03(api, *schedule)
    assert refused.returncode == 1 and "at least 24 hours ahead" in refused.stderr
    assert vault03(api, "check").returncode == 1
    done = vault03(api, *schedule, "--emergency")
    assert done.returncode == 0, done.stderr
    assert "maintenance notice queued for 2 staff users" in done.stdout
    assert kinds(api).count("maintenance_notice") == 2

    on = vault03(api, "on")  # the window starts within the hour: it is the one due
    assert on.returncode == 0, on.stderr
    assert "maintenance is ON: window 1 (emergency)" in on.stdout
    wait_for(lambda: status(api) == 503, what="the API to see maintenance switched on")
    refused_request = httpx.get(f"{api.url}/api/customers", timeout=10)
    assert 60 <= int(refused_request.headers["retry-after"]) <= 90 * 60
    health = httpx.get(f"{api.url}/api/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "maintenance"
    metrics = httpx.get(f"{api.url}/metrics", timeout=10).text
    assert "vault03_maintenance_active 1.0" in metrics
    assert vault03(api, "check").returncode == 0
    assert "maintenance is ON" in vault03(api, "status").stdout

    off = vault03(api, "off", "--message", "New disks in place.")
    assert off.returncode == 0, off.stderr
    assert "service restored notice queued for 2 staff users" in off.stdout
    wait_for(lambda: status(api) == 401, what="the API to see maintenance switched off")
    assert httpx.get(f"{api.url}/api/health", timeout=10).json()["status"] == "ok"
    assert vault03(api, "check").returncode == 1
    assert vault03(api, "off").returncode == 1
    assert kinds(api).count("service_restored") == 2
