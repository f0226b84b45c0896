"""The whole fleet as real processes: a delivery per channel lands in its sink and comes back
as `sent`; with NATS down, health says so and deliveries wait; after, each goes out once."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import NatsServer, free_port, port_open, wait_for

pytestmark = pytest.mark.fleet

WORKERS = ("email", "sms", "postal", "notifier")
ADDRESS = {
    "name": "Jeanne Martin",
    "line1": "12 rue des Lilas",
    "postal_code": "69003",
    "city": "Lyon",
}


@dataclass
class Fleet:
    root: Path
    env: dict[str, str]
    api_url: str
    processes: dict[str, subprocess.Popen[bytes]]

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    def send_test(self, channel: str, *args: str) -> str:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "vault03_api.cli",
                "deliveries",
                "send-test",
                "--channel",
                channel,
                *args,
            ],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout.strip()

    def statuses(self) -> dict[str, str]:
        with sqlite3.connect(self.root / "data" / "data.db") as connection:
            return dict(connection.execute("SELECT id, status FROM deliveries"))

    def health(self) -> httpx.Response:
        return httpx.get(f"{self.api_url}/api/health", timeout=5)


def _spawn(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", module], env=env, stdout=handle, stderr=subprocess.STDOUT
        )


@pytest.fixture
def fleet(tmp_path: Path, nats_server: NatsServer) -> Iterator[Fleet]:
    api_port = free_port()
    env = {
        **os.environ,
        "VAULT03_NATS_URL": nats_server.url,
        "VAULT03_API_PORT": str(api_port),
        "VAULT03_API_DATA_DIR": str(tmp_path / "data"),
        "VAULT03_API_KEYS_DIR": str(tmp_path / "keys"),
        "VAULT03_API_BACKUP_DIR": str(tmp_path / "backup"),
        "VAULT03_API_NATS_GRACE_SECONDS": "2",
    }
    for worker in WORKERS:
        prefix = f"VAULT03_{worker.upper()}_"
        env[f"{prefix}HTTP_PORT"] = str(free_port())
        env[f"{prefix}SINK_DIR"] = str(tmp_path / "outbox")
    processes = {"api": _spawn("vault03_api", env, tmp_path / "api.log")}
    processes |= {
        worker: _spawn(f"vault03_{worker}", env, tmp_path / f"{worker}.log") for worker in WORKERS
    }
    fleet = Fleet(tmp_path, env, f"http://127.0.0.1:{api_port}", processes)
    try:
        wait_for(
            lambda: port_open(api_port) and fleet.health().status_code == 200,
            timeout=60,
            what="API healthy",
        )
        for worker in WORKERS:
            port = int(env[f"VAULT03_{worker.upper()}_HTTP_PORT"])
            wait_for(
                lambda p=port: (
                    port_open(p) and httpx.get(f"http://127.0.0.1:{p}/healthz").status_code == 200
                ),
                timeout=60,
                what=f"{worker} healthy",
            )
        yield fleet
    finally:
        for process in processes.values():
            process.terminate()
        for name, process in processes.items():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                pytest.fail(f"{name} did not stop on SIGTERM")


def _send_one_per_channel(fleet: Fleet) -> dict[str, str]:
    return {
        "email": fleet.send_test("email", "--to", "client@example.com"),
        "sms": fleet.send_test("sms", "--to", "+33612345678"),
        "postal": fleet.send_test("postal", "--address", json.dumps(ADDRESS)),
        "telegram": fleet.send_test("telegram"),
    }


def _sink_ids(fleet: Fleet) -> dict[str, list[str]]:
    """Delivery ids found in each sink, duplicates kept."""

    def lines(name: str) -> list[str]:
        path = fleet.outbox / name
        if not path.exists():
            return []
        return [json.loads(line)["delivery_id"] for line in path.read_text().splitlines()]

    return {
        "email": [p.stem for p in (fleet.outbox / "email").glob("*.eml")],
        "sms": lines("sms.jsonl"),
        "postal": [p.stem for p in (fleet.outbox / "postal").glob("*.pdf")],
        "telegram": lines("telegram.jsonl"),
    }


def _all_sent(fleet: Fleet, ids: dict[str, str]) -> bool:
    statuses = fleet.statuses()
    return all(statuses.get(delivery_id) == "sent" for delivery_id in ids.values())


def test_each_channel_delivers_to_its_sink_and_reports_sent(fleet: Fleet) -> None:
    ids = _send_one_per_channel(fleet)
    wait_for(lambda: _all_sent(fleet, ids), timeout=60, what="all four sent")
    sinks = _sink_ids(fleet)
    for channel, delivery_id in ids.items():
        assert sinks[channel] == [delivery_id], channel
    eml = (fleet.outbox / "email" / f"{ids['email']}.eml").read_text()
    assert "To: client@example.com" in eml
    assert (fleet.outbox / "postal" / f"{ids['postal']}.pdf").read_bytes().startswith(b"%PDF")


def test_nats_outage_is_reported_and_loses_nothing(fleet: Fleet, nats_server: NatsServer) -> None:
    first = _send_one_per_channel(fleet)
    wait_for(lambda: _all_sent(fleet, first), timeout=60, what="first round sent")

    nats_server.stop()
    response = wait_for(
        lambda: (r := fleet.health()).status_code == 503 and r,
        timeout=30,
        what="health reports NATS",
    )
    assert response.json()["failing"] == ["nats"]
    during = _send_one_per_channel(fleet)
    statuses = fleet.statuses()
    assert {statuses[d] for d in during.values()} == {"queued"}

    nats_server.start()
    wait_for(lambda: _all_sent(fleet, during), timeout=90, what="queued deliveries sent")
    wait_for(lambda: fleet.health().status_code == 200, timeout=30, what="health recovers")
    sinks = _sink_ids(fleet)
    for channel in first:  # each delivery exactly once, none lost, none doubled
        assert sorted(sinks[channel]) == sorted([first[channel], during[channel]]), channel
