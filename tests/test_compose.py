"""compose.yaml and the Dockerfiles, checked against the code they deploy."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from infra.scripts.settings_doc import (
    SERVICES,
    compose_environment,
    dockerfile_instructions,
    env_example_path,
    env_name,
    image_environment,
)
from tests.support import IN_CI
from tests.support.compose import deployment_copy
from vault03_api.cli import main as vault03_cli
from vault03_api.devrun import nats_server_binary

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "compose.yaml"
FLEET_WIDE = {"VAULT03_NATS_URL", "VAULT03_ENVIRONMENT", "VAULT03_CONFIG"}
SECRET_SUFFIXES = ("_KEY", "_TOKEN", "_PASSWORD", "_SECRET")
APP_SERVICES = sorted(SERVICES)
PROBE = ["CMD", "python", "-m", "vault03_common.probe"]


def load_compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return data


COMPOSE = load_compose()
SPECS: dict[str, dict[str, Any]] = COMPOSE["services"]
# Services `docker compose up` starts (one-time jobs such as keys-init sit in a profile).
RUNNING = sorted(name for name, spec in SPECS.items() if not spec.get("profiles"))


def dockerfile_of(name: str) -> Path:
    build = SPECS[name]["build"]
    return ROOT / build["context"] / build["dockerfile"]


def mounts(name: str) -> list[tuple[str, str, str]]:
    """(source, target, mode) of each volume in the short syntax compose.yaml uses."""
    result = []
    for entry in SPECS[name].get("volumes", []):
        assert isinstance(entry, str), f"{name}: use the short volume syntax"
        source, target, *mode = entry.split(":")
        result.append((source, target, mode[0] if mode else "rw"))
    return result


def example_environment(service: str) -> dict[str, str]:
    """The settings an env file copied from the example sets (uncommented lines)."""
    values = {}
    for line in env_example_path(service).read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def mentioned_variables(service: str) -> dict[str, str]:
    """Every VAULT03_* name the deployment writes for a service, with where it is written."""
    found = {key: "Dockerfile ENV" for key in image_environment(dockerfile_of(service))}
    found |= {key: "compose environment" for key in compose_environment(service)}
    for line in env_example_path(service).read_text().splitlines():
        match = re.match(r"#?(VAULT03_\w+)=", line)
        if match:
            found[match.group(1)] = env_example_path(service).name
    return {key: where for key, where in found.items() if key.startswith("VAULT03_")}


def deployed_settings(service: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The service's settings as its container would load them (image, env file, compose)."""
    for key in list(os.environ):
        if key.startswith("VAULT03_"):
            monkeypatch.delenv(key)
    environment = {
        **image_environment(dockerfile_of(service)),
        **example_environment(service),
        **compose_environment(service),
    }
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    return SERVICES[service]()


def test_every_service_of_the_code_is_deployed() -> None:
    assert set(APP_SERVICES) | {"nats"} <= set(RUNNING)


@pytest.mark.parametrize("name", sorted(n for n, s in SPECS.items() if "build" in s))
def test_build_context_and_dockerfile_exist(name: str) -> None:
    build = SPECS[name]["build"]
    assert (ROOT / build["context"]).resolve() == ROOT, "images build from the repository root"
    assert dockerfile_of(name).is_file()


@pytest.mark.parametrize("service", APP_SERVICES)
def test_service_builds_its_own_dockerfile(service: str) -> None:
    assert dockerfile_of(service) == ROOT / "services" / service / "Dockerfile"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_dockerfile_runs_the_service_module(service: str) -> None:
    instructions = dockerfile_instructions(dockerfile_of(service))
    commands = [json.loads(args) for keyword, args in instructions if keyword == "CMD"]
    assert commands, "no CMD"
    python, flag, module = commands[-1]
    assert (python, flag, module) == ("python", "-m", f"vault03_{service}")
    assert (ROOT / "services" / service / module / "__main__.py").is_file()
    assert "command" not in SPECS[service], "compose must not replace the image's CMD"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_dockerfile_is_multi_stage_non_root_with_only_common_and_itself(service: str) -> None:
    instructions = dockerfile_instructions(dockerfile_of(service))
    bases = [args.split()[0] for keyword, args in instructions if keyword == "FROM"]
    assert bases == ["python:3.11-slim", "python:3.11-slim"]
    copied = {
        args.split()[0]
        for keyword, args in instructions
        if keyword == "COPY" and not args.startswith("--from")
    }
    assert copied == {"services/common", f"services/{service}"}
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users == ["vault03"]
    assert any(keyword == "HEALTHCHECK" for keyword, _ in instructions)


def test_one_off_commands_exist() -> None:
    """A compose `command` (keys-init) must name a real `vault03` command."""
    for name, spec in SPECS.items():
        if "command" not in spec or name == "nats":
            continue
        program, *path = spec["command"]
        assert program == "vault03", name
        command: Any = vault03_cli
        for part in path:
            command = command.commands.get(part)
            assert command is not None, f"{name}: `vault03 {' '.join(path)}` does not exist"


def test_only_the_api_mounts_the_data_volume() -> None:
    users = {name for name in SPECS for source, _, _ in mounts(name) if source == "data"}
    assert users == {"api"}
    targets = {target: (source, mode) for source, target, mode in mounts("api")}
    assert targets["/opt/vault03/data"] == ("data", "rw")
    assert targets["/opt/vault03/logs"] == ("logs", "rw")
    assert targets["/opt/vault03/backup"] == ("backup", "rw")
    assert targets["/opt/vault03/keys"] == ("keys", "ro")


def test_keys_are_writable_only_by_the_one_off_init() -> None:
    writers = {
        name
        for name in SPECS
        for source, _, mode in mounts(name)
        if source == "keys" and mode != "ro"
    }
    assert writers == {"keys-init"}
    assert SPECS["keys-init"]["profiles"] == ["setup"]


def test_api_paths_are_the_operations_guide_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = deployed_settings("api", monkeypatch)
    assert str(settings.database_path) == "/opt/vault03/data/data.db"
    assert str(settings.log_file) == "/opt/vault03/logs/vault03.log"
    targets = {target for _, target, _ in mounts("api")}
    for path in (settings.keys_dir, settings.backup_dir, settings.log_file.parent):
        assert str(path) in targets, f"{path} is not on a volume"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_mount_target_is_prepared_in_the_image(service: str) -> None:
    """Named volumes take the owner of the image's directory: it must exist, owned by vault03."""
    text = dockerfile_of(service).read_text()
    for _, target, _ in mounts(service):
        assert target in text, f"{service}: {target} is not created in the Dockerfile"


@pytest.mark.parametrize("service", [s for s in APP_SERVICES if s != "api"])
def test_worker_sinks_write_to_the_outbox_volume(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = deployed_settings(service, monkeypatch)
    assert ("outbox", str(settings.sink_dir), "rw") in mounts(service)


@pytest.mark.parametrize("name", RUNNING)
def test_every_running_service_has_a_healthcheck_and_a_restart_policy(name: str) -> None:
    assert SPECS[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert SPECS[name].get("restart") == "unless-stopped"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_healthcheck_probes_the_port_the_service_listens_on(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = deployed_settings(service, monkeypatch)
    port = getattr(settings, "port", None) or settings.http_port
    path = "/api/health" if service == "api" else "/healthz"
    expected = [*PROBE, f"http://127.0.0.1:{port}{path}"]
    assert SPECS[service]["healthcheck"]["test"] == expected
    instructions = dockerfile_instructions(dockerfile_of(service))
    healthcheck = next(args for keyword, args in instructions if keyword == "HEALTHCHECK")
    assert json.loads(healthcheck.split("CMD", 1)[1]) == expected[1:]
    assert (ROOT / "services/common/vault03_common/probe.py").is_file()


@pytest.mark.parametrize("name", sorted(n for n, s in SPECS.items() if s.get("depends_on")))
def test_dependencies_wait_until_healthy(name: str) -> None:
    depends_on = SPECS[name]["depends_on"]
    assert isinstance(depends_on, dict), f"{name}: use the long form with a condition"
    for dependency, condition in depends_on.items():
        assert condition == {"condition": "service_healthy"}, f"{name} -> {dependency}"
        assert SPECS[dependency].get("healthcheck"), f"{dependency} has no healthcheck"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_services_depend_on_nats_and_get_the_fleet_settings(service: str) -> None:
    assert "nats" in SPECS[service]["depends_on"]
    environment = compose_environment(service)
    assert environment["VAULT03_NATS_URL"] == "nats://nats:4222"
    assert environment["VAULT03_ENVIRONMENT"] == "production"


def test_only_the_api_is_published_and_only_on_loopback() -> None:
    published = {name: spec["ports"] for name, spec in SPECS.items() if spec.get("ports")}
    assert list(published) == ["api"]
    for port in published["api"]:
        assert port.startswith("127.0.0.1:") and port.endswith(":8041"), port


@pytest.mark.parametrize("service", APP_SERVICES)
def test_settings_come_from_the_service_env_file(service: str) -> None:
    assert SPECS[service]["env_file"] == f"env/{service}.env"
    assert env_example_path(service).is_file()


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_variable_is_a_real_setting_of_its_service(service: str) -> None:
    settings = SERVICES[service]
    fields = {env_name(settings, name, field) for name, field in settings.model_fields.items()}
    prefix = f"VAULT03_{service.upper()}_"
    for variable, where in mentioned_variables(service).items():
        if variable in FLEET_WIDE:
            continue
        assert variable.startswith(prefix), f"{where}: {variable} is not a {service} setting"
        assert variable in fields, f"{where}: {variable} matches no field of {settings.__name__}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_required_setting_is_provided(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = SERVICES[service]
    provided = {
        *image_environment(dockerfile_of(service)),
        *example_environment(service),
        *compose_environment(service),
    }
    for name, field in settings.model_fields.items():
        if field.is_required():
            assert env_name(settings, name, field) in provided, f"{service} needs {name}"
    deployed_settings(service, monkeypatch)  # and the whole set loads, in production


@pytest.mark.parametrize("name", sorted(SPECS))
def test_no_secret_is_written_inline(name: str) -> None:
    environment = SPECS[name].get("environment") or {}
    sources = [("compose.yaml", environment)]
    if name in SERVICES:
        sources.append(("Dockerfile", image_environment(dockerfile_of(name))))
        sources.append((env_example_path(name).name, example_environment(name)))
        settings = SERVICES[name]
        secret_fields = {
            env_name(settings, field_name, field)
            for field_name, field in settings.model_fields.items()
            if SecretStr in (field.annotation, *getattr(field.annotation, "__args__", ()))
        }
    else:
        secret_fields = set()
    for where, values in sources:
        for key, value in values.items():
            if key.endswith(SECRET_SUFFIXES) or key in secret_fields:
                assert not str(value), f"{where} sets the secret {key} inline"


def test_nats_keeps_jetstream_on_a_durable_volume_with_synced_writes() -> None:
    nats = SPECS["nats"]
    assert nats["image"].startswith("nats:")
    config_mounts = {target: source for source, target, _ in mounts("nats")}
    config_path = nats["command"][nats["command"].index("--config") + 1]
    config = ROOT / config_mounts[config_path]
    text = config.read_text()
    assert re.search(r"^\s*sync_interval:\s*always\s*$", text, re.MULTILINE)
    store_dir = re.search(r'store_dir:\s*"?([^"\s]+)', text)
    assert store_dir, "no JetStream store_dir"
    volume = next(
        source
        for target, source in config_mounts.items()
        if store_dir.group(1).startswith(target.rstrip("/") + "/")
    )
    assert volume in COMPOSE["volumes"], "the JetStream store must be on a named volume"
    monitor = re.search(r"^http:\s*\S+:(\d+)", text, re.MULTILINE)
    assert monitor
    assert f"http://127.0.0.1:{monitor.group(1)}/healthz" in nats["healthcheck"]["test"]
    listen = re.search(r"^listen:\s*\S+:(\d+)", text, re.MULTILINE)
    assert listen and compose_environment("api")["VAULT03_NATS_URL"].endswith(listen.group(1))


def test_nats_config_is_valid_for_nats_server() -> None:
    result = subprocess.run(
        [str(nats_server_binary()), "-t", "-c", str(ROOT / "infra/nats/nats.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_docker_compose_validates_the_file(tmp_path: Path) -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        if IN_CI:
            pytest.fail("docker-compose is missing (.ci/run installs it)")
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    project = deployment_copy(tmp_path / "vault03")
    result = subprocess.run(
        [binary, "config", "-q"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_api_image_lets_sqlite3_wait_for_the_write_lock() -> None:
    """The guide's sqlite3 commands run against the live database through `compose exec`."""
    text = dockerfile_of("api").read_text()
    assert "printf '.timeout 10000\\n' | tee /opt/vault03/.sqliterc /root/.sqliterc" in text
