"""compose.yaml and the Dockerfiles, checked against the code they deploy."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
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
OPS_SERVICES = ["nginx", "prometheus", "alertmanager", "grafana"]
PROBE = ["CMD", "python", "-m", "vault03_common.probe"]
KEYS_OVERRIDE = ROOT / "infra" / "compose.keys.yaml"
CONFIG_EXAMPLE = ROOT / "infra" / "config.example.yaml"
# The api's state, bind-mounted from the project directory (/opt/vault03 on a host), so the
# host's tools see the operations guide's paths.
CONSOLE_BUILD = ROOT / "ui/dist"
API_STATE = {
    "./data": ("/opt/vault03/data", "rw"),
    "./logs": ("/opt/vault03/logs", "rw"),
    "./backup": ("/opt/vault03/backup", "rw"),
    "./config.yaml": ("/opt/vault03/config.yaml", "ro"),
    "./keys": ("/opt/vault03/keys", "ro"),
}


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


def production(value: str) -> str:
    """A compose.yaml value as production has it: each `${NAME:-default}` at its default."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def mounts(name: str, specs: dict[str, dict[str, Any]] = SPECS) -> list[tuple[str, str, str]]:
    """(source, target, mode) of each volume in the short syntax compose.yaml uses."""
    result = []
    for entry in specs[name].get("volumes", []):
        assert isinstance(entry, str), f"{name}: use the short volume syntax"
        source, target, *mode = production(entry).split(":")
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
    """The service's settings as its container would load them (image, env file, compose;
    the api's config.yaml is the example an operator starts from)."""
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
    if "VAULT03_CONFIG" in environment:
        monkeypatch.setenv("VAULT03_CONFIG", str(CONFIG_EXAMPLE))
    return SERVICES[service]()


def test_every_service_of_the_code_and_of_operations_is_deployed() -> None:
    assert set(APP_SERVICES) | {"nats"} | set(OPS_SERVICES) == set(RUNNING)


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
    assert bases == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    # Production's base is the official image; tests pass a local stand-in as a build argument.
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in instructions
    assert (
        SPECS[service]["build"]["args"]["PYTHON_IMAGE"]
        == "${VAULT03_PYTHON_IMAGE:-python:3.11-slim}"
    )
    copied = {
        args.split()[0]
        for keyword, args in instructions
        if keyword == "COPY" and not args.startswith("--from")
    }
    # The two projects' pyproject.toml first (the dependencies' layer), then the projects.
    assert copied == {
        "services/common/pyproject.toml",
        f"services/{service}/pyproject.toml",
        "services/common",
        f"services/{service}",
    }
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users == ["vault03"]
    assert any(keyword == "HEALTHCHECK" for keyword, _ in instructions)


def test_one_off_commands_exist() -> None:
    """A compose `command` of our images (keys-init) must name a real `vault03` command."""
    for name, spec in SPECS.items():
        if "command" not in spec or "build" not in spec:
            continue
        program, *path = spec["command"]
        assert program == "vault03", name
        command: Any = vault03_cli
        for part in path:
            command = command.commands.get(part)
            assert command is not None, f"{name}: `vault03 {' '.join(path)}` does not exist"


def test_only_the_api_mounts_the_data_and_its_state_is_the_guides_host_paths() -> None:
    users = {name for name in SPECS for source, _, _ in mounts(name) if source == "./data"}
    assert users == {"api"}
    named = {source for name in SPECS for source, _, _ in mounts(name)}
    assert not {"data", "keys"} & named, "the api's state is bind-mounted, not in volumes"
    state = {
        source: (target, mode) for source, target, mode in mounts("api") if source in API_STATE
    }
    assert state == API_STATE
    assert compose_environment("api")["VAULT03_CONFIG"] == "/opt/vault03/config.yaml"
    ignored = (ROOT / ".gitignore").read_text().split()
    build_context = (ROOT / ".dockerignore").read_text().split()
    for source in API_STATE:
        entry = source.removeprefix(".")
        assert entry in ignored or f"{entry}/" in ignored, f"{source} is not in .gitignore"
        assert source.removeprefix("./") in build_context, f"{source} is not in .dockerignore"


def test_keys_are_writable_only_by_the_one_off_init() -> None:
    writers = {
        name
        for name in SPECS
        for source, _, mode in mounts(name)
        if source == "./keys" and mode != "ro"
    }
    assert writers == {"keys-init"}
    assert SPECS["keys-init"]["profiles"] == ["setup"]


def test_key_rotation_override_makes_only_the_key_directory_writable(tmp_path: Path) -> None:
    override = yaml.safe_load(KEYS_OVERRIDE.read_text())["services"]
    assert list(override) == ["api"]
    [(source, target, mode)] = mounts("api", override)
    assert (source, target, mode) == ("./keys", "/opt/vault03/keys", "rw")
    docker_compose = shutil.which("docker-compose")
    if docker_compose is None:
        if IN_CI:
            pytest.fail("docker-compose is missing (.ci/run installs it)")
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    project = deployment_copy(tmp_path / "vault03")
    result = subprocess.run(
        [docker_compose, "-f", "compose.yaml", "-f", "infra/compose.keys.yaml", "config"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    merged = {
        entry.split(":")[1]: entry.split(":")[-1]
        for entry in yaml.safe_load(result.stdout)["services"]["api"]["volumes"]
    }
    assert merged["/opt/vault03/keys"] == "rw"
    assert merged["/opt/vault03/data"] == "rw" and merged["/opt/vault03/config.yaml"] == "ro"
    keys = vault03_cli.commands["keys"]
    assert isinstance(keys, click.Group) and {"rotate", "retire"} <= set(keys.commands)


def test_api_paths_are_the_operations_guide_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = deployed_settings("api", monkeypatch)
    assert str(settings.database_path) == "/opt/vault03/data/data.db"
    assert str(settings.log_file) == "/opt/vault03/logs/vault03.log"
    targets = {target for _, target, _ in mounts("api")}
    for path in (settings.keys_dir, settings.backup_dir, settings.log_file.parent):
        assert str(path) in targets, f"{path} is not on a volume"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_mount_target_is_prepared_in_the_image(service: str) -> None:
    """Named volumes take the owner of the image's directory: it must exist, owned by vault03
    (bind mounts keep the host's owner: the README creates them for the image's user)."""
    text = dockerfile_of(service).read_text()
    for source, target, _ in mounts(service):
        if source.startswith(("./", "/")):
            assert source.startswith("./"), f"{service}: {source} is outside the project"
            continue
        assert target in text, f"{service}: {target} is not created in the Dockerfile"


def test_the_readme_creates_the_bind_mounted_state_for_the_images_user() -> None:
    readme = (ROOT / "README.md").read_text()
    uid = re.search(r"--uid (\d+)", dockerfile_of("api").read_text())
    assert uid
    for source in API_STATE:
        if source != "./config.yaml":
            assert re.search(rf"install -d -o {uid[1]} .*\b{source[2:]}\b", readme), source
    assert CONFIG_EXAMPLE.is_file() and str(CONFIG_EXAMPLE.relative_to(ROOT)) in readme


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


def test_only_nginx_is_published_beyond_loopback() -> None:
    published = {name: spec["ports"] for name, spec in SPECS.items() if spec.get("ports")}
    assert published.pop("nginx") == [
        "${VAULT03_HTTP_PORT:-80}:80",
        "${VAULT03_HTTPS_PORT:-443}:443",
    ]
    assert set(published) == {"api", "notifier", "grafana"}
    for name, ports in published.items():
        for port in ports:
            assert port.startswith("127.0.0.1:"), (name, port)
    assert published["api"][0].endswith(":8041")
    # vault03-alert on the host (infra/backup/restic.env.example: VAULT03_ALERT_URL).
    assert published["notifier"] == ["127.0.0.1:${NOTIFIER_PUBLISHED_PORT:-9104}:9104"]


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


def test_nats_keeps_jetstream_on_disk_with_synced_writes_as_the_fleets_user() -> None:
    nats = SPECS["nats"]
    assert production(nats["image"]).startswith("nats:")
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
    # A bind mount in the deployment (README step 1 makes it the images' user's): the server
    # runs as that user, not as the official image's root.
    assert volume == "./nats", "the JetStream store must be kept in the deployment's nats/"
    assert nats["user"] == "10003:10003"
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"install -d -o 10003 -g 10003 .*\bnats\b", readme)
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


def _repository_files(name: str) -> list[tuple[Path, str]]:
    """(file in the repository, target) of each ./ bind mount but the api's state."""
    return [
        (ROOT / source, target)
        for source, target, _ in mounts(name)
        if source.startswith("./") and source not in API_STATE
    ]


@pytest.mark.parametrize("name", OPS_SERVICES)
def test_operations_services_use_pinned_images_and_the_repositorys_files(name: str) -> None:
    image = production(SPECS[name]["image"])
    assert ":" in image and not image.endswith(":latest"), image
    assert "build" not in SPECS[name]
    for path, target in _repository_files(name):
        if path == CONSOLE_BUILD:
            # A build output (`cd ui && pnpm build`), absent from a fresh checkout: the
            # console's build must be what writes it.
            assert 'outDir: "dist"' in (ROOT / "ui/vite.config.ts").read_text()
            continue
        assert path.exists(), f"{name}: {path} is mounted at {target} but does not exist"
    assert all(mode == "ro" for source, _, mode in mounts(name) if source.startswith("./infra"))


def test_nginx_is_the_proxy_the_api_trusts() -> None:
    site = ROOT / "infra/nginx/sites-available/vault03"
    files = {target: path for path, target in _repository_files("nginx")}
    assert files["/etc/nginx/nginx.conf"] == ROOT / "infra/nginx/nginx.conf"
    # The image's own default site is replaced, so only ours answers.
    assert files["/etc/nginx/conf.d/default.conf"] == site
    assert "include /etc/nginx/conf.d/*.conf;" in (ROOT / "infra/nginx/nginx.conf").read_text()
    host_paths = {source: target for source, target, _ in mounts("nginx")}
    assert host_paths["/var/log/nginx"] == "/var/log/nginx"  # the guide's log paths
    assert host_paths["/etc/letsencrypt"] == "/etc/letsencrypt"
    assert re.search(r"server api:8041;", site.read_text())
    address = SPECS["nginx"]["networks"]["default"]["ipv4_address"]
    [subnet] = [entry["subnet"] for entry in COMPOSE["networks"]["default"]["ipam"]["config"]]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet)
    trusted = json.loads(compose_environment("api")["VAULT03_API_TRUSTED_PROXIES"])
    assert trusted == [f"{address}/32"]
    assert SPECS["nginx"]["depends_on"] == {"api": {"condition": "service_healthy"}}


def test_prometheus_scrapes_compose_services_and_loads_the_rules() -> None:
    files = {target: path for path, target in _repository_files("prometheus")}
    config_path = files["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load(config_path.read_text())
    assert files["/etc/prometheus/rules"] == ROOT / "infra/prometheus/rules"
    assert config["rule_files"] == ["rules/*.yml"]  # relative to /etc/prometheus
    hosts = {
        target.split(":")[0]
        for job in config["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    assert hosts - {"localhost"} <= set(RUNNING)
    assert set(APP_SERVICES) <= hosts
    [alerting] = config["alerting"]["alertmanagers"]
    assert alerting["static_configs"][0]["targets"] == ["alertmanager:9093"]


def test_alertmanager_reaches_the_notifier_with_mounted_secrets() -> None:
    files = {target: path for path, target in _repository_files("alertmanager")}
    config_text = files["/etc/alertmanager/alertmanager.yml"].read_text()
    config = yaml.safe_load(config_text)
    [webhook] = config["receivers"][0]["webhook_configs"]
    host, port = webhook["url"].split("/")[2].split(":")
    from vault03_notifier.settings import NotifierSettings

    assert host == "notifier" and int(port) == NotifierSettings.model_fields["http_port"].default
    assert SPECS["alertmanager"]["depends_on"] == {"notifier": {"condition": "service_healthy"}}
    for secret in SPECS["alertmanager"]["secrets"]:
        assert f"/run/secrets/{secret}" in config_text, secret
    for name, spec in SPECS.items():
        for secret in spec.get("secrets", []):
            assert COMPOSE["secrets"][secret]["file"] == f"./secrets/{secret}", (name, secret)


def test_grafana_is_provisioned_from_the_repository() -> None:
    files = {target: path for path, target in _repository_files("grafana")}
    assert files["/etc/grafana/provisioning"] == ROOT / "infra/grafana/provisioning"
    assert files["/var/lib/grafana/dashboards"] == ROOT / "infra/grafana/dashboards"
    environment = SPECS["grafana"]["environment"]
    assert environment["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana_admin_password"
