"""The host scripts: shellcheck, the guide's disk and service checks, the alert sender."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import NatsServer, free_port
from tests.support.api_process import ApiProcess
from tests.support.tools import require_tool
from tests.support.webhook import AlertReceiver

INFRA = Path(__file__).parents[2] / "infra"
SCRIPTS = INFRA / "scripts"
SECRET = "monitor-secret"

# A stand-in for the docker CLI (no Docker engine on the test machine): it answers
# `docker compose ... ps -q SERVICE` and `docker inspect --format ... ID` from a table of
# container states, runs `docker compose ... run --rm --no-deps -T api COMMAND` as COMMAND
# here (the api container's `vault03`), and records every call.
DOCKER = """#!/usr/bin/env bash
echo "$*" >>"$DOCKER_CALLS"
if [ "$1" = compose ]; then
    shift 3
    if [ "$1" = ps ] && grep -q "^$3 " "$DOCKER_STATES"; then echo "container-$3"; fi
    if [ "$1 $2 $3 $4 $5" = "run --rm --no-deps -T api" ]; then shift 5; exec "$@"; fi
elif [ "$1" = inspect ]; then
    service=${@: -1}
    awk -v s="${service#container-}" '$1 == s {print $2}' "$DOCKER_STATES"
fi
"""


def shell_scripts() -> list[Path]:
    return sorted(
        path
        for path in INFRA.rglob("*")
        if path.is_file() and path.read_bytes().startswith(b"#!/usr/bin/env bash")
    )


def test_every_shell_script_is_shellcheck_clean() -> None:
    shellcheck = require_tool("shellcheck")
    scripts = shell_scripts()
    assert {p.name for p in scripts} >= {
        "vault03-backup",
        "vault03-alert",
        "check-disk.sh",
        "check-service.sh",
    }
    result = subprocess.run([shellcheck, *map(str, scripts)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert all(os.access(script, os.X_OK) for script in scripts)


def environment(tmp_path: Path, receiver: AlertReceiver, **extra: str) -> dict[str, str]:
    return {
        "PATH": f"{SCRIPTS}{os.pathsep}{os.environ['PATH']}",
        "VAULT03_ALERT_URL": receiver.url,
        "VAULT03_ALERT_SECRET": SECRET,
        "VAULT03_ALERT_ENV_FILE": str(tmp_path / "no-alert.env"),
        **extra,
    }


def test_check_disk_alerts_over_the_threshold(tmp_path: Path) -> None:
    with AlertReceiver(SECRET) as receiver:
        calm = subprocess.run(
            [str(SCRIPTS / "check-disk.sh")],
            env=environment(
                tmp_path, receiver, VAULT03_DATA_DIR=str(tmp_path), VAULT03_DISK_THRESHOLD="100"
            ),
            capture_output=True,
            text=True,
        )
        assert calm.returncode == 0 and calm.stdout == "" and receiver.accepted == []
        full = subprocess.run(
            [str(SCRIPTS / "check-disk.sh")],
            env=environment(
                tmp_path, receiver, VAULT03_DATA_DIR=str(tmp_path), VAULT03_DISK_THRESHOLD="0"
            ),
            capture_output=True,
            text=True,
        )
    assert full.returncode == 1
    assert full.stdout.startswith("WARNING: Disk usage is ") and "(threshold: 0%)" in full.stdout
    [alert] = receiver.accepted
    assert alert["alerts"][0]["labels"]["alertname"] == "VaultDiskUsageHigh"
    assert str(tmp_path) in alert["alerts"][0]["annotations"]["summary"]


def test_the_alert_sender_is_refused_without_the_secret(tmp_path: Path) -> None:
    with AlertReceiver(SECRET) as receiver:
        env = environment(tmp_path, receiver, VAULT03_ALERT_SECRET="wrong")
        result = subprocess.run(
            [str(SCRIPTS / "vault03-alert"), "Test", "warning", 'a "quoted"\nsummary'],
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode != 0 and receiver.refused == [401]
        secret_file = tmp_path / "secret"
        secret_file.write_text(SECRET)
        env.pop("VAULT03_ALERT_SECRET")
        env["VAULT03_ALERT_SECRET_FILE"] = str(secret_file)
        result = subprocess.run(
            [str(SCRIPTS / "vault03-alert"), "Test", "warning", 'a "quoted"\nsummary'],
            env=env,
            capture_output=True,
            text=True,
        )
    assert result.returncode == 0, result.stderr
    assert receiver.accepted[0]["commonAnnotations"]["summary"] == 'a "quoted" summary'


def run_check_service(
    tmp_path: Path,
    receiver: AlertReceiver,
    states: str,
    health_url: str,
    installation: dict[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "docker").write_text(DOCKER)
    (bin_dir / "docker").chmod(0o755)
    (tmp_path / "states").write_text(states)
    calls = tmp_path / "calls"
    calls.write_text("")
    env = environment(
        tmp_path,
        receiver,
        VAULT03_HEALTH_URL=health_url,
        VAULT03_COMPOSE_DIR="/opt/vault03",
        DOCKER_STATES=str(tmp_path / "states"),
        DOCKER_CALLS=str(calls),
        # The api container's installation (none by default: maintenance is off).
        **(installation or {"VAULT03_API_DATA_DIR": str(tmp_path / "no-installation")}),
    )
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env["PATH"]])
    result = subprocess.run(
        [str(SCRIPTS / "check-service.sh")], env=env, capture_output=True, text=True
    )
    return result, calls.read_text().splitlines()


ALL_HEALTHY = "".join(
    f"{service} running/{'healthy' if service in ('api', 'nginx') else 'none'}\n"
    for service in [
        "api",
        "email",
        "sms",
        "postal",
        "notifier",
        "nats",
        "nginx",
        "prometheus",
        "alertmanager",
        "grafana",
    ]
)


@pytest.mark.fleet
def test_check_service_is_quiet_when_all_is_well(tmp_path: Path, nats_server: NatsServer) -> None:
    require_tool("curl")
    api = ApiProcess(tmp_path / "vault03", nats_url=nats_server.url)
    api.start()
    try:
        with AlertReceiver(SECRET) as receiver:
            result, calls = run_check_service(
                tmp_path, receiver, ALL_HEALTHY, f"{api.url}/api/health"
            )
    finally:
        api.stop()
    assert result.returncode == 0, result.stdout
    assert result.stdout == "" and receiver.accepted == []
    assert "compose --project-directory /opt/vault03 ps -q grafana" in calls
    assert not [call for call in calls if " up " in call]


def test_check_service_alerts_restarts_and_reports_health(tmp_path: Path) -> None:
    require_tool("curl")
    states = (
        ALL_HEALTHY.replace("sms running/none", "sms exited/none")
        .replace("email running/none", "email running/unhealthy")
        .replace("nats running/none\n", "")
    )
    closed = f"http://127.0.0.1:{free_port()}/api/health"
    with AlertReceiver(SECRET) as receiver:
        result, calls = run_check_service(tmp_path, receiver, states, closed)
    assert result.returncode == 1
    assert "CRITICAL: sms is not running (exited/none), attempting restart" in result.stdout
    assert "CRITICAL: nats is not running (missing), attempting restart" in result.stdout
    assert "CRITICAL: email container is running/unhealthy" in result.stdout
    assert "CRITICAL: Health check failed (HTTP 000)" in result.stdout
    restarts = [call for call in calls if " up -d " in call]
    assert restarts == [
        "compose --project-directory /opt/vault03 up -d sms",
        "compose --project-directory /opt/vault03 up -d nats",
    ]
    names = sorted(alert["alerts"][0]["labels"]["alertname"] for alert in receiver.accepted)
    assert names == [
        "VaultApiUnhealthy",
        "VaultServiceDown",
        "VaultServiceDown",
        "VaultServiceUnhealthy",
    ]


def test_check_service_stands_down_while_maintenance_is_on(tmp_path: Path) -> None:
    require_tool("curl")
    installation = {
        "VAULT03_API_DATA_DIR": str(tmp_path / "data"),
        "VAULT03_API_KEYS_DIR": str(tmp_path / "keys"),
        "VAULT03_API_BACKUP_DIR": str(tmp_path / "backup"),
    }
    vault03 = [str(Path(sys.executable).parent / "vault03"), "maintenance"]
    env = {**os.environ, **installation}
    switched = subprocess.run(
        [*vault03, "on", "--emergency", "--duration", "30m", "--message", "Disk swap"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert switched.returncode == 0, switched.stderr
    # The API and a worker stopped for the work, health unreachable: all on purpose.
    states = ALL_HEALTHY.replace("api running/healthy", "api exited/none").replace(
        "sms running/none", "sms exited/none"
    )
    closed = f"http://127.0.0.1:{free_port()}/api/health"
    with AlertReceiver(SECRET) as receiver:
        result, calls = run_check_service(tmp_path, receiver, states, closed, installation)
        assert result.returncode == 0, result.stdout
        assert result.stdout.startswith("OK: maintenance is on (window 1)")
        assert receiver.accepted == [] and not [call for call in calls if " up " in call]
        assert calls == [
            "compose --project-directory /opt/vault03 run --rm --no-deps -T api "
            "vault03 maintenance check"
        ]
        off = subprocess.run([*vault03, "off"], env=env, capture_output=True, text=True)
        assert off.returncode == 0, off.stderr
        result, calls = run_check_service(tmp_path, receiver, states, closed, installation)
    assert result.returncode == 1
    assert "CRITICAL: api is not running (exited/none), attempting restart" in result.stdout
    assert "compose --project-directory /opt/vault03 up -d api" in calls
