"""compose.yaml brought up for real with testcontainers, where a Docker engine is reachable."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.support import IN_CI, free_port, wait_for
from tests.support.compose import deployment_copy, prepare_api_state

# nginx needs certbot's certificates on the host and the monitoring services their secrets:
# this test brings up the application and its broker.
APPLICATION = ["nats", "api", "email", "sms", "postal", "notifier"]

pytestmark = pytest.mark.fleet


def _docker_engine_reachable() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    return subprocess.run([docker, "info"], capture_output=True, timeout=60).returncode == 0


def _compose_plugin_present() -> bool:
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


def test_compose_fleet_starts_healthy_and_delivers(tmp_path: Path) -> None:
    if not _docker_engine_reachable():
        pytest.skip(
            "no Docker engine reachable (`docker info` fails); machines of this kind, "
            "CI included, have none, so this test only runs where an engine exists"
        )
    if not _compose_plugin_present():
        if IN_CI:
            pytest.fail("a Docker engine is reachable but `docker compose` is missing")
        pytest.skip("a Docker engine is reachable but the `docker compose` plugin is missing")
    from testcontainers.compose import DockerCompose

    project = deployment_copy(tmp_path / f"vault03-{uuid.uuid4().hex[:8]}")
    prepare_api_state(project)
    port = free_port()
    (project / ".env").write_text(
        f"API_PUBLISHED_PORT={port}\nNOTIFIER_PUBLISHED_PORT={free_port()}\n"
    )
    compose = DockerCompose(
        project, compose_file_name="compose.yaml", build=True, wait=True, services=APPLICATION
    )
    # The README's one-time step: the api mounts the key directory read-only.
    subprocess.run(
        [*compose.docker_compose_command(), "run", "--rm", "keys-init"],
        cwd=project,
        check=True,
        timeout=1800,
    )
    with compose:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10) as reply:
            health = json.load(reply)
        assert health["status"] == "ok", health

        integrity, _, code = compose.exec_in_container(
            ["sqlite3", "/opt/vault03/data/data.db", "PRAGMA integrity_check;"], "api"
        )
        assert (integrity.strip(), code) == ("ok", 0)

        delivery_id, _, code = compose.exec_in_container(
            ["vault03", "deliveries", "send-test", "--channel", "sms", "--to", "+32470000000"],
            "api",
        )
        assert code == 0
        delivery = str(uuid.UUID(delivery_id.strip()))
        query = "SELECT id || ' ' || status FROM deliveries;"

        def sent() -> bool:
            rows, _, _ = compose.exec_in_container(
                ["sqlite3", "/opt/vault03/data/data.db", query], "api"
            )
            return f"{delivery} sent" in rows.splitlines()

        wait_for(sent, timeout=120, interval=1, what="the SMS delivery to come back as sent")
        sink, _, _ = compose.exec_in_container(["cat", "/opt/vault03/outbox/sms.jsonl"], "sms")
        assert delivery in sink
