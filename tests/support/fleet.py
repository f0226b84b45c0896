"""The whole fleet as real processes (API and the four workers, local sinks under `outbox/`),
against a test's own NATS server."""

from __future__ import annotations

import contextlib
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

from tests.support import free_port, port_open, wait_for

WORKERS = ("email", "sms", "postal", "notifier")


@dataclass
class Fleet:
    root: Path
    env: dict[str, str]
    api_url: str
    processes: dict[str, subprocess.Popen[bytes]]

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def database(self) -> Path:
        return self.root / "data" / "data.db"

    def vault03(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The `vault03` command in the API's environment."""
        return subprocess.run(
            [sys.executable, "-m", "vault03_api.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )

    def send_test(self, channel: str, *args: str) -> str:
        result = self.vault03("deliveries", "send-test", "--channel", channel, *args)
        return result.stdout.strip()

    def statuses(self) -> dict[str, str]:
        with sqlite3.connect(self.database) as connection:
            return dict(connection.execute("SELECT id, status FROM deliveries"))

    def health(self) -> httpx.Response:
        return httpx.get(f"{self.api_url}/api/health", timeout=5)

    def log_lines(self, level: str) -> dict[str, list[str]]:
        """Each process's JSON log lines at `level`, by process name (messages only)."""
        found: dict[str, list[str]] = {}
        for name in self.processes:
            for line in (self.root / f"{name}.log").read_text().splitlines():
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if entry.get("level") == level:
                        found.setdefault(name, []).append(entry["message"])
        return found


def _spawn(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", module], env=env, stdout=handle, stderr=subprocess.STDOUT
        )


@contextlib.contextmanager
def running_fleet(
    root: Path, *, nats_url: str, extra_env: dict[str, str] | None = None
) -> Iterator[Fleet]:
    """Start the API and the workers, wait until each is healthy, stop them on SIGTERM after."""
    api_port = free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    env = {
        **os.environ,
        "VAULT03_NATS_URL": nats_url,
        "VAULT03_API_PORT": str(api_port),
        "VAULT03_API_DATA_DIR": str(root / "data"),
        "VAULT03_API_KEYS_DIR": str(root / "keys"),
        "VAULT03_API_BACKUP_DIR": str(root / "backup"),
        "VAULT03_API_NATS_GRACE_SECONDS": "2",
        "VAULT03_API_PUBLIC_URL": api_url,  # links in messages lead back to this API
        **(extra_env or {}),
    }
    for worker in WORKERS:
        prefix = f"VAULT03_{worker.upper()}_"
        env[f"{prefix}HTTP_PORT"] = str(free_port())
        env[f"{prefix}SINK_DIR"] = str(root / "outbox")
    processes = {"api": _spawn("vault03_api", env, root / "api.log")}
    processes |= {
        worker: _spawn(f"vault03_{worker}", env, root / f"{worker}.log") for worker in WORKERS
    }
    fleet = Fleet(root, env, api_url, processes)
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
