"""The systemd wrapper and the operations compose override."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.tools import require_tool

ROOT = Path(__file__).parents[2]
UNIT = ROOT / "infra" / "systemd" / "vault03.service"
COMPOSE_OPS = ROOT / "infra" / "compose.ops.yaml"

# The fleet's services as compose.yaml defines them (written on another branch); just enough
# for the override to merge onto.
BASE = """
services:
  api:
    image: vault03-api
    healthcheck: {test: ["CMD", "true"]}
  email: {image: vault03-email}
  sms: {image: vault03-sms}
  postal: {image: vault03-postal}
  notifier: {image: vault03-notifier}
"""


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # not a hard requirement: containers often lack systemd
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "vault03.service"
    unit.write_text(UNIT.read_text())
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    problems = [line for line in result.stderr.splitlines() if "vault03.service" in line]
    assert result.returncode == 0 and not problems, result.stderr


def test_the_unit_maps_the_guides_systemctl_verbs_to_compose() -> None:
    text = UNIT.read_text()
    compose = "/usr/bin/docker compose --project-directory /opt/vault03"
    assert f"ExecStart={compose} up --no-color --remove-orphans" in text
    assert f"ExecStop={compose} down" in text
    assert f"ExecReload={compose} kill -s HUP api email sms postal notifier" in text


def test_the_compose_override_merges_with_healthchecks(tmp_path: Path) -> None:
    docker_compose = require_tool("docker-compose")
    (tmp_path / "compose.yaml").write_text(BASE)
    result = subprocess.run(
        [
            docker_compose,
            "--project-directory",
            str(ROOT),
            "-f",
            str(tmp_path / "compose.yaml"),
            "-f",
            str(COMPOSE_OPS),
            "config",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    merged = yaml.safe_load(result.stdout)["services"]
    for service in ("nginx", "prometheus", "alertmanager", "grafana"):
        assert merged[service]["healthcheck"]["test"], service
    assert merged["email"]["environment"]["VAULT03_EMAIL_HTTP_HOST"] == "0.0.0.0"
    mounts = dict(volume(entry) for entry in merged["nginx"]["volumes"])
    assert {"/etc/nginx/nginx.conf", "/etc/nginx/sites-enabled/vault03", "/var/log/nginx"} <= set(
        mounts
    )
    for service in ("nginx", "prometheus", "alertmanager", "grafana"):
        for target, source in map(volume, merged[service]["volumes"]):
            if source.startswith(str(ROOT)):  # the repository's own files must exist
                assert Path(source).exists(), (service, target, source)


def volume(entry: str | dict[str, str]) -> tuple[str, str]:
    """(target, source) from either compose syntax (docker-compose v1 prints the short one)."""
    if isinstance(entry, dict):
        return entry["target"], entry.get("source", "")
    source, target, *_ = entry.split(":")
    return target, source
