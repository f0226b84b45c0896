"""The systemd wrapper of the compose deployment (compose.yaml itself: tests/test_compose.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
UNIT = ROOT / "infra" / "systemd" / "vault03.service"
SYSTEM_UNIT_DIRS = ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # not a hard requirement: containers often lack systemd
        pytest.skip("systemd-analyze is not installed")
    text = UNIT.read_text()
    # verify also checks the host: that each command exists and each required unit is
    # installed. Where this machine has no Docker, stand-ins take their place.
    if not Path("/usr/bin/docker").exists():
        stub = tmp_path / "docker"
        stub.write_text("#!/bin/sh\n")
        stub.chmod(0o755)
        text = text.replace("/usr/bin/docker", str(stub))
    no_docker_unit = not any(
        (Path(directory) / "docker.service").exists() for directory in SYSTEM_UNIT_DIRS
    )
    unit = tmp_path / "vault03.service"
    unit.write_text(text)
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    problems = [
        line
        for line in result.stderr.splitlines()
        if "vault03.service" in line
        and not (no_docker_unit and "Unit docker.service not found" in line)
    ]
    assert not problems, result.stderr


def test_the_unit_maps_the_guides_systemctl_verbs_to_compose() -> None:
    text = UNIT.read_text()
    compose = "/usr/bin/docker compose --project-directory /opt/vault03"
    assert f"ExecStart={compose} up --no-color --remove-orphans" in text
    assert f"ExecStop={compose} down" in text
    assert f"ExecReload={compose} kill -s HUP api email sms postal notifier" in text
