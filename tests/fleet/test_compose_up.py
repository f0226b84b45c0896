"""compose.yaml brought up for real and exercised through nginx over HTTPS, after the README's
one-time steps run as written.

No image registry is reachable here, so the upstream base images are local stand-ins built
from Debian's packages (infra/scripts/build-base-images) and passed in through compose.yaml's
VAULT03_*_IMAGE variables; production pulls the official images. certbot's certificate is a
self-signed one in a directory of the test. Grafana has no Debian package and is not started
(an override file of the test puts it in a profile): its provisioning and dashboards are checked
here without it. The systemd unit's `docker compose` lines are run as written, but through
Debian's `docker-compose` 1.29 when the `docker compose` plugin is not installed (it is not on
the test machines). docs/operations.md says how to check these in production.
"""

from __future__ import annotations

import email
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support import IN_CI, free_port, wait_for
from tests.support.compose import ROOT, deployment_copy
from tests.support.installation import file_hashes
from tests.support.live_shares import enter_code_over_http, share_over_http
from tests.support.tools import require_tool

# The whole module, base images to the stack taken down, in 15 minutes.
pytestmark = [pytest.mark.fleet, pytest.mark.module_timeout(900)]

# Everything compose.yaml runs but Grafana (no Debian package: see the module docstring).
STACK = ["nats", "api", "email", "sms", "postal", "notifier", "nginx", "prometheus", "alertmanager"]
FLEET = ["api", "email", "sms", "postal", "notifier"]
SITE = "vault03.yourdomain.com"  # the server name of infra/nginx/sites-available/vault03
# A fixed project name: a stack left by an interrupted run is taken down before the next one
# (compose.yaml's fixed subnet allows one at a time).
PROJECT = "vault03-compose-test"
UNIT = ROOT / "infra" / "systemd" / "vault03.service"
UNIT_PROJECT_DIR = "/opt/vault03"
# Grafana has no stand-in image: in a profile, `up` (the unit's too) leaves it out.
README = (ROOT / "README.md").read_text()
WITHOUT_GRAFANA = "services:\n  grafana:\n    profiles: [grafana]\n"


def _say(config: pytest.Config, line: str) -> None:
    """A line in the test's output even when pytest captures it (sizes, the duration)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)


def _compose_command() -> list[str] | None:
    """`docker compose` where the plugin exists, else Debian's `docker-compose` 1.29."""
    docker = shutil.which("docker")
    if docker is None:
        return None
    if subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def _docker_engine_reachable() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    return subprocess.run([docker, "info"], capture_output=True, timeout=60).returncode == 0


@dataclass
class Stack:
    """The running deployment: its directory, the compose command and what the test set."""

    project: Path
    command: list[str]
    https: str
    http_port: int
    cert: Path
    secrets: dict[str, str]

    def attempt(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """One compose command in the project, however it ends."""
        return subprocess.run(
            [*self.command, *args],
            cwd=self.project,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "DOCKER_BUILDKIT": "0", "COMPOSE_DOCKER_CLI_BUILD": "0"},
        )

    def run(self, *args: str, timeout: float = 600, check: bool = True) -> str:
        """One compose command in the project; its standard output."""
        done = self.attempt(*args, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stderr[-4000:]}")
        return done.stdout

    def exec(self, service: str, *command: str) -> str:
        """`compose exec` without a terminal, as the guide's commands run."""
        return self.run("exec", "-T", service, *command)

    def container(self, service: str) -> str:
        return self.run("ps", "-q", service).strip()

    def services(self) -> set[str]:
        """The services with a running container in the project."""
        label = "com.docker.compose.project=" + PROJECT
        names = _docker(
            "ps",
            "--filter",
            f"label={label}",
            "--format",
            '{{.Label "com.docker.compose.service"}}',
        )
        return set(names.split())

    def healthy(self, services: list[str]) -> bool:
        for service in services:
            container = self.container(service)
            if not container:
                return False
            state = _docker("inspect", "--format", "{{.State.Health.Status}}", container)
            if state.strip() != "healthy":
                return False
        return True

    def wait_healthy(self, services: list[str], what: str) -> None:
        wait_for(lambda: self.healthy(services), timeout=240, interval=3, what=what)

    def volume(self, name: str) -> Path:
        """Where a named volume of the project lives on the host (the test runs as root)."""
        mountpoint = _docker(
            "volume", "inspect", "--format", "{{.Mountpoint}}", f"{PROJECT}_{name}"
        )
        return Path(mountpoint.strip())

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.https, verify=str(self.cert), timeout=120)


def _docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _self_signed_certificate(letsencrypt: Path) -> Path:
    """Where certbot's certificate would be, a self-signed one for the site and 127.0.0.1."""
    live = letsencrypt / "live" / SITE
    live.mkdir(parents=True)
    request = [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        f"/CN={SITE}",
    ]
    names = f"subjectAltName=DNS:{SITE},IP:127.0.0.1"
    keys = ["-keyout", str(live / "privkey.pem"), "-out", str(live / "fullchain.pem")]
    subprocess.run(["openssl", *request, "-addext", names, *keys], check=True, capture_output=True)
    return live / "fullchain.pem"


def _readme_one_time_steps() -> str:
    found = re.search(r"One-time steps, in `/opt/vault03`:\n\n```sh\n(.*?)```", README, re.S)
    assert found, "the README's one-time steps are not where the test looks"
    return found.group(1)


def _run_readme_steps(steps: str, project: Path, command: list[str]) -> None:
    """README lines run as written from the project directory: as root (so `sudo` is the
    command itself), the project in place of /opt/vault03, and `docker compose` through the
    compose command the test found."""
    steps = steps.replace("/opt/vault03", str(project))
    preamble = 'sudo() { "$@"; }\n'
    if command[1:] != ["compose"]:
        legacy = shlex.quote(command[0])
        preamble += (
            f'docker() {{ if [ "$1" = compose ]; then shift; {legacy} "$@"; '
            'else command docker "$@"; fi; }\n'
        )
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", preamble + steps],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "DOCKER_BUILDKIT": "0", "COMPOSE_DOCKER_CLI_BUILD": "0"},
    )
    assert done.returncode == 0, f"the README's steps failed:\n{steps}\n{done.stderr[-4000:]}"


def _operator_edits(project: Path) -> dict[str, str]:
    """What the README leaves to the operator: a real SMTP password in place of its placeholder,
    the webhook secret as the notifier's token. The secrets' values, to look for in images."""
    directory = project / "secrets"
    smtp = directory / "alertmanager_smtp_password"
    smtp.chmod(0o600)
    smtp.write_text(secrets.token_urlsafe(24) + "\n")
    smtp.chmod(0o400)
    values = {path.name: path.read_text().strip() for path in directory.iterdir()}
    assert set(values) == {
        "alertmanager_webhook_secret",
        "alertmanager_smtp_password",
        "grafana_admin_password",
    }
    with (project / "env" / "notifier.env").open("a") as env:
        token = values["alertmanager_webhook_secret"]
        env.write(f"\nVAULT03_NOTIFIER_ALERTMANAGER_TOKEN={token}\n")
    return values


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[Stack]:
    started = time.monotonic()
    if not _docker_engine_reachable():
        if IN_CI:
            pytest.fail("no Docker engine reachable: .ci/run starts dockerd")
        pytest.skip("no Docker engine reachable (`docker info` fails)")
    command = _compose_command()
    if command is None:
        if IN_CI:
            pytest.fail("neither `docker compose` nor `docker-compose` is installed")
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    require_tool("pnpm")  # the README's step 5 builds the console with it
    if os.geteuid() != 0:
        # The README's steps use sudo, and the named volumes are read on the host.
        if IN_CI:
            pytest.fail("the compose test runs as root")
        pytest.skip("the compose test runs as root")
    images = subprocess.run(
        [str(ROOT / "infra/scripts/build-base-images")],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert images.returncode == 0, images.stdout + images.stderr
    base_images = [line for line in images.stdout.splitlines() if line.startswith("VAULT03_")]

    project = deployment_copy(tmp_path_factory.mktemp("compose") / "vault03", env_files=False)
    cert = _self_signed_certificate(project / "letsencrypt")
    for name in ("certbot", "nginx-log"):
        (project / name).mkdir()
    (project / "compose.without-grafana.yaml").write_text(WITHOUT_GRAFANA)
    https_port, http_port = free_port(), free_port()
    (project / ".env").write_text(
        "\n".join(
            [
                f"COMPOSE_PROJECT_NAME={PROJECT}",
                "COMPOSE_FILE=compose.yaml:compose.without-grafana.yaml",
                *base_images,
                f"API_PUBLISHED_PORT={free_port()}",
                f"NOTIFIER_PUBLISHED_PORT={free_port()}",
                f"VAULT03_HTTP_PORT={http_port}",
                f"VAULT03_HTTPS_PORT={https_port}",
                "VAULT03_LETSENCRYPT_DIR=./letsencrypt",
                "VAULT03_CERTBOT_WEBROOT=./certbot",
                "VAULT03_NGINX_LOG_DIR=./nginx-log",
            ]
        )
        + "\n"
    )
    running = Stack(project, command, f"https://127.0.0.1:{https_port}", http_port, cert, {})
    running.run("down", "--volumes", "--remove-orphans", check=False)
    try:
        _run_readme_steps(_readme_one_time_steps(), project, command)
        running.secrets.update(_operator_edits(project))
        running.run("up", "-d")
        assert running.services() == set(STACK)
        running.wait_healthy(STACK, "every service of the stack to be healthy")
        yield running
    finally:
        print(running.run("logs", "--no-color", "--tail", "30", check=False)[-20000:])
        running.run("down", "--volumes", "--remove-orphans", check=False)
        minutes = (time.monotonic() - started) / 60
        _say(pytestconfig, f"compose test: {minutes:.1f} min, base images to the stack taken down")


def test_health_and_console_through_nginx(stack: Stack) -> None:
    with stack.client() as http:
        health = http.get("/api/health")
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "ok", health.json()
        console = http.get("/")
        assert console.status_code == 200
        assert console.text == (stack.project / "ui" / "dist" / "index.html").read_text()
    plain = httpx.get(f"http://127.0.0.1:{stack.http_port}/api/health")
    assert plain.status_code == 301
    assert plain.headers["location"].startswith("https://")


def _staff_token(stack: Stack) -> str:
    """A staff member and API token, made in the api container against the live database."""
    code = (
        "from pathlib import Path\n"
        "from vault03_api import clock\n"
        "from vault03_api.auth.models import User\n"
        "from vault03_api.auth.service import create_api_token\n"
        "from vault03_api.db import create_db_engine, session_scope\n"
        "engine = create_db_engine(Path('/opt/vault03/data/data.db'))\n"
        "with session_scope(engine) as session:\n"
        "    user = User(email='staff@example.org', name='Sam Staff', role='staff')\n"
        "    session.add(user)\n"
        "    session.flush()\n"
        "    _, secret = create_api_token(session, user_id=user.id, name='compose', days=1,\n"
        "                                 now=clock.utcnow())\n"
        "print(secret)\n"
    )
    return stack.exec("api", "python", "-c", code).strip()


def _outbox_mail(stack: Stack) -> list[str]:
    texts = []
    for path in sorted((stack.volume("outbox") / "email").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        for part in message.walk():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(payload.decode("utf-8", "replace"))
    return texts


def test_large_file_share_backup_and_restart(stack: Stack) -> None:
    token = _staff_token(stack)
    headers = {"Authorization": f"Bearer {token}"}
    live = share_over_http(
        stack.https,
        token,
        files={"letter.txt": b"Dear Ada\n"},
        verify=str(stack.cert),
        code_channel="sms",
    )
    code = live.share["access_code"]

    # The link by email and the code by SMS, written by the workers into the outbox volume.
    def arrived() -> bool:
        sms = stack.volume("outbox") / "sms.jsonl"
        mails = [text for text in _outbox_mail(stack) if "/s/" in text]
        return bool(mails) and sms.is_file() and code in sms.read_text()

    wait_for(arrived, timeout=120, interval=2, what="the share's link and code in the outbox")
    [link] = {m.group(0) for t in _outbox_mail(stack) for m in re.finditer(r"/s/[\w-]+", t)}
    with stack.client() as portal:
        entered = enter_code_over_http(portal, link, code)
        assert entered.status_code < 400, entered.text

    # 100 MB up and down through nginx, byte-identical.
    big = os.urandom(100 << 20)
    digest = hashlib.sha256(big).hexdigest()
    with stack.client() as http:
        stored = http.put(
            f"/api/vaults/{live.vault_id}/files/big.bin", content=big, headers=headers
        )
        assert stored.status_code == 201, stored.text
        big_id = stored.json()["id"]
    del big

    def download_digest() -> str:
        with stack.client() as http:
            got = http.get(f"/api/files/{big_id}/content", headers=headers)
            assert got.status_code == 200, got.text[:500]
            return hashlib.sha256(got.content).hexdigest()

    assert download_digest() == digest

    # The guide's checks through `docker compose exec api`.
    integrity = stack.exec("api", "sqlite3", "/opt/vault03/data/data.db", "PRAGMA integrity_check;")
    assert integrity.strip() == "ok"
    backup = stack.exec("api", "vault03", "backup")
    archive = re.search(r"^archive:\s+/opt/vault03/backup/(\S+)_vault03\.tar\.gz$", backup, re.M)
    assert archive, backup
    files = stack.project / "data" / "files"
    before = file_hashes(files)
    assert before

    # docs/operations.md's restore: what changed after the backup is undone, files and rows.
    with stack.client() as http:
        later = http.put(
            f"/api/vaults/{live.vault_id}/files/later.txt",
            content=b"after the backup",
            headers=headers,
        )
        assert later.status_code == 201, later.text
    assert file_hashes(files) != before
    stamp = archive.group(1)
    # Beside the running api it refuses (the api holds the data directory) and changes nothing.
    refused = stack.attempt("exec", "-T", "api", "vault03", "restore", stamp)
    assert refused.returncode != 0, refused.stdout
    assert "stop the API first" in refused.stderr, refused.stderr
    assert file_hashes(files) != before
    stack.run("stop", "api")
    restored = stack.run("run", "--rm", "api", "vault03", "restore", stamp)
    assert "/opt/vault03/data/files" in restored, restored
    stack.run("start", "api")
    stack.wait_healthy(["api"], "the api to be healthy after the restore")
    assert file_hashes(files) == before
    with stack.client() as http:
        gone = http.get(f"/api/files/{later.json()['id']}/content", headers=headers)
        assert gone.status_code == 404, gone.text
    assert download_digest() == digest
    stack.run("restart", "api")
    stack.wait_healthy(["api"], "the api to be healthy after a restart")
    assert file_hashes(files) == before
    assert download_digest() == digest


def test_prometheus_scrapes_every_target_and_a_stopped_worker_alerts(stack: Stack) -> None:
    def targets() -> dict[str, str]:
        reply = stack.exec(
            "prometheus", "wget", "-qO-", "http://127.0.0.1:9090/api/v1/query?query=up"
        )
        return {r["metric"]["service"]: r["value"][1] for r in json.loads(reply)["data"]["result"]}

    expected = {*FLEET, "prometheus", "alertmanager"}
    wait_for(
        lambda: targets() == dict.fromkeys(expected, "1"),
        timeout=120,
        interval=3,
        what="up == 1 for every target",
    )

    telegram = stack.volume("outbox") / "telegram.jsonl"
    stack.run("stop", "postal")
    try:

        def alerted() -> bool:
            return telegram.is_file() and "postal is down" in telegram.read_text()

        # The rule's 2 minutes, a scrape and Alertmanager's group wait.
        wait_for(alerted, timeout=330, interval=5, what="the postal-down alert on Telegram")
    finally:
        stack.run("start", "postal")


def _layer_texts(*images: str) -> Iterator[tuple[str, bytes]]:
    """(path, content) of each small regular file in every layer of the images (one `docker
    save` of them all: a layer they share is read once)."""
    save = subprocess.Popen(["docker", "save", *images], stdout=subprocess.PIPE)
    assert save.stdout is not None
    with tarfile.open(fileobj=save.stdout, mode="r|") as outer:
        for member in outer:
            # Layers are <id>/layer.tar (Docker 20.10) or blobs/sha256/<digest> (OCI layout).
            name = member.name
            if not (member.isfile() and (name.endswith("layer.tar") or name.startswith("blobs/"))):
                continue
            layer = outer.extractfile(member)
            assert layer is not None
            try:
                with tarfile.open(fileobj=layer, mode="r|") as inner:
                    for entry in inner:
                        if entry.isfile() and entry.size < 1 << 20:
                            data = inner.extractfile(entry)
                            assert data is not None
                            yield entry.name, data.read()
            except tarfile.ReadError:
                continue  # an OCI blob that is a manifest or a config, not a layer
    assert save.wait() == 0


def test_images_users_read_only_roots_and_no_secret_in_any_layer(
    stack: Stack, pytestconfig: pytest.Config
) -> None:
    master_key = (stack.project / "keys" / "kek-0001.key").read_bytes()
    needles = [value.encode() for value in stack.secrets.values()] + [master_key]
    fleet_images: list[str] = []
    for service in STACK:
        container = stack.container(service)
        info: dict[str, Any] = json.loads(_docker("inspect", container))[0]
        image = info["Config"]["Image"]
        size = json.loads(_docker("image", "inspect", image))[0]["Size"]
        _say(pytestconfig, f"image of {service}: {image} {size / 1e6:.0f} MB")
        history = _docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image)
        assert not any(needle.decode(errors="replace") in history for needle in needles)
        if service in FLEET:
            assert stack.exec(service, "id", "-u").strip() == "10003"
            assert info["HostConfig"]["ReadonlyRootfs"] is True
            fleet_images.append(image)
    read = 0
    for path, content in _layer_texts(*fleet_images):
        read += path.endswith("/vault03_common/__init__.py")
        assert not path.startswith(("opt/vault03/keys/", "secrets/")), path
        assert not any(needle in content for needle in needles), path
    assert read, "no layer of the images was read"
    # NATS as the fleet's user too (compose.yaml's `user:`, not only the stand-in's), its
    # JetStream store in the deployment's nats/ that README step 1 made.
    assert stack.exec("nats", "id", "-u").strip() == "10003"
    assert (stack.project / "nats" / "jetstream").is_dir()
    assert (stack.project / "nats" / "jetstream").stat().st_uid == 10003
    assert stack.exec("prometheus", "id", "-un").strip() == "nobody"
    assert stack.exec("alertmanager", "id", "-un").strip() == "nobody"
    workers = stack.exec(
        "nginx",
        "sh",
        "-c",
        'for p in /proc/[0-9]*; do echo "$(stat -c %U $p) $(cat $p/cmdline)"; done',
    )
    assert re.search(r"^www-data nginx: worker process", workers, re.MULTILINE), workers


def test_grafana_provisioning_without_grafana() -> None:
    """Grafana has no Debian package, so no stand-in runs: its files are checked as Grafana
    reads them (the provider's path is compose.yaml's dashboards mount, every panel's data
    source uid is the provisioned one)."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    volumes = compose["services"]["grafana"]["volumes"]
    provisioning = ROOT / "infra/grafana/provisioning"
    [provider] = yaml.safe_load((provisioning / "dashboards/vault03.yml").read_text())["providers"]
    assert f"./infra/grafana/dashboards:{provider['options']['path']}:ro" in volumes
    sources = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())
    uids = {source["uid"] for source in sources["datasources"]}
    for dashboard in (ROOT / "infra/grafana/dashboards").glob("*.json"):
        text = dashboard.read_text()
        json.loads(text)
        used = set(re.findall(r'"datasource":\s*\{[^}]*"uid":\s*"([^"]+)"', text))
        assert used and used <= uids, (dashboard, used)


def _unit_commands(project: Path) -> dict[str, list[list[str]]]:
    """The unit's Exec* lines for the test's project directory, each as the machine can run it:
    as written where the `docker compose` plugin exists, else through Debian's `docker-compose`
    1.29 with the same arguments (the plugin is not installable on the test machines)."""
    commands: dict[str, list[list[str]]] = {}
    for line in UNIT.read_text().splitlines():
        key, _, value = line.partition("=")
        if key not in ("ExecStart", "ExecStop", "ExecReload"):
            continue
        docker, compose, *args = shlex.split(value)
        assert (docker, compose) == ("/usr/bin/docker", "compose"), line
        args = [str(project) if arg == UNIT_PROJECT_DIR else arg for arg in args]
        assert str(project) in args, line
        plugin = (
            Path(docker).is_file()
            and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
        )
        legacy = shutil.which("docker-compose")
        assert plugin or legacy, "neither `docker compose` nor `docker-compose` is installed"
        commands.setdefault(key, []).append(
            [docker, compose, *args] if plugin else [str(legacy), *args]
        )
    return commands


def _unit_step(stack: Stack, command: list[str]) -> None:
    """One ExecStop/ExecReload line, from the unit's WorkingDirectory."""
    done = subprocess.run(command, cwd=stack.project, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{shlex.join(command)}:\n{done.stderr[-4000:]}"


def _container_starts(stack: Stack) -> dict[str, str]:
    """Each service's container and when it (re)started: a signal that kills one changes it."""
    starts = {}
    for service in STACK:
        container = stack.container(service)
        starts[service] = _docker("inspect", "--format", "{{.State.StartedAt}}", container).strip()
    return starts


def test_systemd_unit_lines_stop_start_and_reload_the_stack(stack: Stack) -> None:
    """`systemctl stop|start|reload vault03` as the unit runs them (no systemd here): ExecStop
    takes the stack down, ExecStart brings it up in the foreground (data kept), each ExecReload
    line makes the services reopen their logs without restarting any, and ExecStop ends it."""
    commands = _unit_commands(stack.project)
    [stop] = commands["ExecStop"]
    [start] = commands["ExecStart"]
    assert len(commands["ExecReload"]) == 2
    files = stack.project / "data" / "files"
    before = file_hashes(files)

    _unit_step(stack, stop)
    assert stack.services() == set()
    journal = (stack.project / "journal.log").open("w")
    foreground = subprocess.Popen(
        start, cwd=stack.project, stdout=journal, stderr=subprocess.STDOUT
    )
    try:
        stack.wait_healthy(STACK, "the stack started by the unit's ExecStart to be healthy")
        assert foreground.poll() is None, "ExecStart must stay in the foreground"
        assert stack.services() == set(STACK)
        assert file_hashes(files) == before
        with stack.client() as http:
            assert http.get("/api/health").status_code == 200

        # logrotate's part (infra/logrotate/vault03), then `systemctl reload vault03`.
        nginx_log = stack.project / "nginx-log" / "vault03-access.log"
        api_log = stack.project / "logs" / "vault03.log"
        for log in (nginx_log, api_log):
            assert log.is_file(), log
            log.rename(log.with_name(log.name + ".1"))
        starts = _container_starts(stack)
        for reload in commands["ExecReload"]:
            _unit_step(stack, reload)
        with stack.client() as http:
            assert http.get("/api/health").status_code == 200
        wait_for(
            lambda: nginx_log.is_file() and "/api/health" in nginx_log.read_text(),
            timeout=30,
            what="nginx to write its access log anew after USR1",
        )
        wait_for(api_log.is_file, timeout=30, what="the api to write its log anew after HUP")
        time.sleep(5)  # a service that a signal killed would have been restarted by now
        assert _container_starts(stack) == starts
        assert stack.services() == set(STACK)

        _unit_step(stack, stop)
        assert foreground.wait(timeout=120) == 0, (stack.project / "journal.log").read_text()[
            -4000:
        ]
        assert stack.services() == set()
    finally:
        if foreground.poll() is None:
            foreground.terminate()
            foreground.wait(timeout=60)
        journal.close()
