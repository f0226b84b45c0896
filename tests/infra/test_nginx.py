"""The nginx site and tuning (infra/nginx) with Debian's nginx on loopback, in front of real
processes: the API, and for the streaming test a small upstream that sees when bytes arrive."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from tests.support import NatsServer, free_port, port_open, wait_for
from tests.support.api_process import ApiProcess
from tests.support.live_shares import share_over_http, staff_api_token, stalling_upload
from tests.support.nginx import NGINX_DIR, Nginx
from tests.support.tools import require_tool
from vault03_api.main import KEEP_ALIVE_SECONDS
from vault03_api.settings import ApiSettings
from vault03_api.shown import shown_size
from vault03_api.vaults.multipart import FORM_OVERHEAD

SITE = NGINX_DIR / "sites-available" / "vault03"


def client(nginx: Nginx, source: str = "127.0.0.1") -> httpx.Client:
    """A client from a chosen loopback address (127.0.0.0/8), trusting the test certificate."""
    trust = ssl.create_default_context(cafile=str(nginx.certificate))
    transport = httpx.HTTPTransport(local_address=source, verify=trust)
    return httpx.Client(base_url=nginx.https, transport=transport, timeout=60)


def test_the_guides_configuration_passes_nginx_t(tmp_path: Path) -> None:
    nginx = Nginx(tmp_path, binary=require_tool("nginx"), upstream="127.0.0.1:8041")
    result = nginx.test()
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


def test_upload_limit_is_set_in_one_place_and_agrees_with_the_api() -> None:
    # The guide's File Upload Failures check: grep client_max_body_size <site file>.
    result = subprocess.run(
        ["grep", "client_max_body_size", str(SITE)], capture_output=True, text=True
    )
    assert [line.split()[:2] for line in result.stdout.splitlines()] == [
        ["client_max_body_size", "5121m;"]
    ]
    assert "client_max_body_size" not in (NGINX_DIR / "nginx.conf").read_text()
    # What nginx lets through is what the API accepts: its largest file, raw or in the
    # portal's form (which may add FORM_OVERHEAD around it); nothing the API would take is
    # refused on the way, and the portal's page states the same limit.
    value = result.stdout.split()[1].removesuffix(";")
    nginx_bytes = int(value[:-1]) << {"k": 10, "m": 20, "g": 30}[value[-1]]
    limit = ApiSettings.model_fields["max_file_bytes"].default
    assert nginx_bytes == limit + FORM_OVERHEAD
    assert shown_size(limit) == "5 GB"


@pytest.fixture
def api(tmp_path: Path, nats_server: NatsServer) -> Iterator[ApiProcess]:
    process = ApiProcess(tmp_path / "vault03", nats_url=nats_server.url)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def proxy(tmp_path: Path, api: ApiProcess) -> Iterator[Nginx]:
    nginx = Nginx(
        tmp_path / "nginx", binary=require_tool("nginx"), upstream=f"127.0.0.1:{api.port}"
    )
    nginx.start()
    yield nginx
    nginx.stop()


@pytest.mark.fleet
def test_proxies_to_the_api_over_tls_with_security_headers_and_gzip(
    proxy: Nginx, api: ApiProcess
) -> None:
    with client(proxy) as http:
        health = http.get("/api/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        for header, value in {
            "strict-transport-security": "max-age=63072000; includeSubDomains",
            "x-content-type-options": "nosniff",
            "x-frame-options": "DENY",
            "referrer-policy": "no-referrer",
        }.items():
            assert health.headers[header] == value
        assert "frame-ancestors 'none'" in health.headers["content-security-policy"]
        assert "server" not in health.headers or "nginx/" not in health.headers["server"]
        spec = http.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
        assert spec.headers["content-encoding"] == "gzip"
        assert "/api/health" in spec.json()["paths"]
    plain = httpx.get(
        f"http://127.0.0.1:{proxy.http_port}/api/health?x=1",
        headers={"Host": "attacker.example"},  # never where the redirect sends anyone
        timeout=10,
    )
    assert plain.status_code == 301
    assert plain.headers["location"] == "https://vault03.yourdomain.com/api/health?x=1"


@pytest.mark.fleet
def test_serves_the_console_from_its_directory_and_the_api_beside_it(
    proxy: Nginx, api: ApiProcess
) -> None:
    console = proxy.root / "ui"
    (console / "assets").mkdir()
    (console / "index.html").write_text('<!doctype html><script src="/assets/app-1.js"></script>')
    (console / "assets" / "app-1.js").write_text("console.log('console')")
    with client(proxy) as http:
        for path in ("/", "/set-password"):
            page = http.get(path)
            assert page.status_code == 200 and "/assets/app-1.js" in page.text, path
            assert page.headers["cache-control"] == "no-cache"
            assert "default-src 'self'" in page.headers["content-security-policy"]
        script = http.get("/assets/app-1.js")
        assert script.status_code == 200 and "max-age=31536000" in script.headers["cache-control"]
        assert http.get("/api/health").json()["status"] == "ok"
        assert http.get("/api/no-such-route").json()["error"]
        docs = http.get("/docs")
        assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
        assert http.get("/docs/assets/swagger-ui.css").status_code == 200
        assert http.get("/metrics").status_code == 404


@pytest.mark.fleet
def test_the_api_sees_the_real_client_address(proxy: Nginx, api: ApiProcess) -> None:
    with client(proxy, source="127.0.0.2") as http:
        # A forged X-Forwarded-For is overwritten by nginx, not passed on.
        http.get("/api/health", headers={"X-Forwarded-For": "203.0.113.9"})
    api_log = (api.root / "logs" / "vault03.log").read_text()
    lines = [json.loads(line) for line in api_log.splitlines()]
    access = [line["message"] for line in lines if line["logger"] == "uvicorn.access"]
    assert any(m.startswith("127.0.0.2:") and "/api/health" in m for m in access), access
    assert not any("203.0.113.9" in m for m in access)
    assert proxy.access_log().splitlines()[-1].startswith("127.0.0.2 - ")


NGINX_429 = {"error": "too many attempts", "detail": "wait a minute before trying again"}


@pytest.mark.fleet
def test_login_and_access_code_attempts_are_rate_limited_per_client(proxy: Nginx) -> None:
    # A new email each time: the API's own per-account lockout must not be what answers 429.
    def attempt(http: httpx.Client, number: int) -> httpx.Response:
        credentials = {"email": f"someone{number}@example.org", "password": "wrong"}
        return http.post("/api/auth/login", json=credentials)

    with client(proxy, source="127.0.0.4") as http:
        login = [attempt(http, number) for number in range(12)]
        codes = [http.post("/s/abcdef/code", json={"code": "000000"}) for _ in range(12)]
        pages = [http.get("/s/abcdef").status_code for _ in range(12)]
    assert login[0].status_code == 401
    limited_login = next(r for r in login if r.status_code == 429)
    assert limited_login.json() == NGINX_429 and limited_login.headers["retry-after"] == "60"
    assert codes[0].status_code != 429 and 429 in [r.status_code for r in codes]
    limited = next(r for r in codes if r.status_code == 429)
    assert limited.json() == NGINX_429
    assert limited.headers["retry-after"] == "60"
    assert 429 not in pages  # viewing the share page is not an attempt
    with client(proxy, source="127.0.0.5") as other:
        assert attempt(other, 99).status_code == 401


@pytest.mark.fleet
def test_failed_logins_show_in_the_access_log_for_the_guides_grep(proxy: Nginx) -> None:
    """`grep "401" /var/log/nginx/vault03-access.log` finds failed logins."""
    with client(proxy, source="127.0.0.6") as http:
        failed = http.post("/api/auth/login", json={"email": "a@example.org", "password": "bad"})
        http.get("/s/secret-share-token-0123456789?code=4242")
    assert failed.status_code == 401
    log = proxy.logs / "vault03-access.log"
    result = subprocess.run(["grep", "401", str(log)], capture_output=True, text=True)
    found = [line for line in result.stdout.splitlines() if line.startswith("127.0.0.6 ")]
    assert any('"POST /api/auth/login HTTP/1.1" 401 ' in line for line in found), found
    # Share tokens and query strings never reach the log.
    assert "secret-share-token" not in proxy.access_log() and "4242" not in proxy.access_log()
    assert '"GET /s/[token] HTTP/1.1"' in proxy.access_log()


def test_nginx_lets_go_of_idle_api_connections_before_the_api_does() -> None:
    # Otherwise nginx may send a request (an upload: never retried) on a connection the API
    # is closing, and the client gets a 503.
    upstream = SITE.read_text().split("upstream vault03_api {", 1)[1].split("}", 1)[0]
    (timeout,) = re.findall(r"^\s*keepalive_timeout (\d+)s;", upstream, re.MULTILINE)
    assert int(timeout) < KEEP_ALIVE_SECONDS


SHARE_TOKEN = "share-token-never-logged-0123456789"
CSRF_TOKEN = "csrf-token-never-logged-abcdef"


def test_the_error_log_names_request_problems_without_tokens(tmp_path: Path) -> None:
    """The API down, rate limiting and an oversized body are in the site's error log, with
    the client, the masked path and what happened; never a share token or a CSRF token."""
    # The API is down: its port is held, not listening, so every connection is refused.
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    nginx = Nginx(
        tmp_path / "nginx",
        binary=require_tool("nginx"),
        upstream=f"127.0.0.1:{held.getsockname()[1]}",
        site_changes={"client_max_body_size 5121m;": "client_max_body_size 1m;"},
    )
    nginx.start()
    try:
        with client(nginx, source="127.0.0.7") as http:
            down = http.get(f"/s/{SHARE_TOKEN}/files/abc?csrf={CSRF_TOKEN}")
            codes = [http.post(f"/s/{SHARE_TOKEN}/code", data={"code": "1"}) for _ in range(12)]
            too_large = http.post(
                f"/s/{SHARE_TOKEN}/files?csrf={CSRF_TOKEN}", content=b"x" * (2 << 20)
            )
        # nginx logs a request when it lets it go: after a 413 it first reads (lingers on) the
        # rest of the body until the client has closed, so the line may come a moment later.
        wait_for(
            lambda: '"POST /s/[token] HTTP/1.1", status: 413,' in nginx.error_log(),
            timeout=10,
            what="the 413 in the error log",
        )
    finally:
        nginx.stop()
        held.close()
    assert down.status_code == 503 and too_large.status_code == 413
    assert 429 in [response.status_code for response in codes]
    log = nginx.error_log()
    assert SHARE_TOKEN not in log and CSRF_TOKEN not in log
    problems = [line for line in log.splitlines() if "[problem] client: 127.0.0.7," in line]
    assert any(
        '"GET /s/[token] HTTP/1.1", status: 503, upstream: "127.0.0.1:' in line
        and '" 502, ' in line
        for line in problems
    ), log
    assert any("status: 429," in line and "rate limit: REJECTED" in line for line in problems)
    assert any('"POST /s/[token] HTTP/1.1", status: 413,' in line for line in problems)


@pytest.mark.fleet
def test_a_stalled_upload_through_the_site_is_timed_out_and_aborted(
    tmp_path: Path, api: ApiProcess
) -> None:
    """A client that stops sending its body: nginx gives up (408 in its error log), and the
    API, seeing nginx go, aborts the upload and removes its partial file."""
    proxy = Nginx(
        tmp_path / "nginx",
        binary=require_tool("nginx"),
        upstream=f"127.0.0.1:{api.port}",
        site_changes={"client_body_timeout 60s;": "client_body_timeout 1s;"},
    )
    proxy.start()
    token = staff_api_token(api.root / "data" / "data.db")
    live = share_over_http(api.url, token, files={"a.txt": b"hello"})
    partial_dir = api.root / "data" / "files" / ".partial"
    trust = ssl.create_default_context(cafile=str(proxy.certificate))
    try:
        with (
            socket.create_connection(("127.0.0.1", proxy.https_port)) as raw,
            trust.wrap_socket(raw, server_hostname="127.0.0.1") as upload,
        ):
            upload.sendall(stalling_upload(vault_id=live.vault_id, token=token))
            wait_for(lambda: list(partial_dir.iterdir()), what="the upload's partial file")
            upload.settimeout(60)
            while upload.recv(1 << 16):  # nginx closes the connection
                pass
        wait_for(lambda: not list(partial_dir.iterdir()), what="the partial file removed")
    finally:
        proxy.stop()
    assert any(
        '"PUT /api/vaults/' in line and "status: 408," in line
        for line in proxy.error_log().splitlines()
    ), proxy.error_log()


def test_a_stopped_api_answers_503_with_retry_after(tmp_path: Path) -> None:
    """During maintenance the API may be stopped (vacuum, restore): nginx says so, not 502."""
    nginx = Nginx(
        tmp_path / "nginx", binary=require_tool("nginx"), upstream=f"127.0.0.1:{free_port()}"
    )
    nginx.start()
    try:
        with client(nginx) as http:
            response = http.get("/api/customers")
    finally:
        nginx.stop()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "300"
    assert response.json()["error"] == "VAULT03 is temporarily unavailable"


class StreamRecorder:
    """A small ASGI upstream that notes when the first body bytes of a request arrive."""

    def __init__(self) -> None:
        self.port = free_port()
        self.first_bytes = threading.Event()
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host="127.0.0.1",
                port=self.port,
                log_config=None,
                interface="asgi3",
                lifespan="off",
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        digest, size, more = hashlib.sha256(), 0, True
        while more:
            message = await receive()
            chunk = message.get("body", b"")
            if chunk:
                self.first_bytes.set()
            digest.update(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
        body = json.dumps({"bytes": size, "sha256": digest.hexdigest()}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    def __enter__(self) -> StreamRecorder:
        self.thread.start()
        wait_for(lambda: port_open(self.port), what="the recorder to listen")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.mark.fleet
def test_a_large_upload_streams_through_without_temporary_files(tmp_path: Path) -> None:
    """What this proves: nginx forwards the body while the client is still sending it (the
    upstream sees bytes before the last chunk leaves the client) and writes no temporary
    file. Only a recording upstream can tell when the first bytes arrive; the API's own
    files routes behind the site are the next test."""
    chunk, chunks = os.urandom(1 << 20), 200  # 200 MiB, larger than any buffer in the path
    with StreamRecorder() as recorder:
        nginx = Nginx(
            tmp_path / "nginx", binary=require_tool("nginx"), upstream=f"127.0.0.1:{recorder.port}"
        )
        nginx.start()
        streamed_early = []

        def body() -> Iterator[bytes]:
            for number in range(chunks):
                if number == chunks - 1:
                    # Before sending the last chunk, the upstream must already have bytes.
                    wait_for(recorder.first_bytes.is_set, timeout=60, what="bytes upstream")
                    streamed_early.append(True)
                yield chunk

        try:
            with client(nginx) as http:
                response = http.post("/api/files/upload-test", content=body())
        finally:
            nginx.stop()
    assert response.status_code == 200, response.text
    expected = hashlib.sha256(chunk * chunks).hexdigest()
    assert response.json() == {"bytes": len(chunk) * chunks, "sha256": expected}
    assert streamed_early == [True]
    assert list((nginx.root / "body").iterdir()) == []
    assert "buffered to a temporary file" not in nginx.error_log()


@pytest.mark.fleet
def test_a_body_over_the_limit_is_refused_with_413(tmp_path: Path) -> None:
    with StreamRecorder() as recorder:
        nginx = Nginx(
            tmp_path / "nginx",
            binary=require_tool("nginx"),
            upstream=f"127.0.0.1:{recorder.port}",
            site_changes={"client_max_body_size 5121m;": "client_max_body_size 1m;"},
        )
        nginx.start()
        try:
            with client(nginx) as http:
                response = http.post("/api/files/upload-test", content=b"x" * (2 << 20))
        finally:
            nginx.stop()
    assert response.status_code == 413
    assert response.json()["error"] == "the file is too large"
    assert not recorder.first_bytes.is_set()


def test_gzip_settings_follow_the_guide() -> None:
    conf = (NGINX_DIR / "nginx.conf").read_text()
    for line in (
        "worker_processes auto;",
        "worker_rlimit_nofile 65535;",
        "worker_connections 2048;",
        "use epoll;",
        "multi_accept on;",
        "keepalive_timeout 65;",
        "keepalive_requests 100;",
        "gzip on;",
        "gzip_vary on;",
        "gzip_comp_level 6;",
        "open_file_cache max=10000 inactive=60s;",
        "open_file_cache_valid 120s;",
        "open_file_cache_min_uses 2;",
        "open_file_cache_errors on;",
    ):
        assert line in conf


@pytest.mark.fleet
def test_a_large_file_goes_up_and_down_through_the_site_to_the_files_routes(
    tmp_path: Path, api: ApiProcess
) -> None:
    """The real routes behind the real site: 300 MiB up (over the API's chunk and nginx's
    buffer sizes many times), stored whole; the same bytes back; nothing spooled to disk
    (nginx says so at the warn level, which the site's error log is opened to here)."""
    logs = tmp_path / "nginx" / "logs"
    proxy = Nginx(
        tmp_path / "nginx",
        binary=require_tool("nginx"),
        upstream=f"127.0.0.1:{api.port}",
        site_changes={
            f"error_log {logs}/vault03-error.log crit;": f"error_log {logs}/vault03-error.log warn;"
        },
    )
    proxy.start()
    token = staff_api_token(api.root / "data" / "data.db")
    headers = {"Authorization": f"Bearer {token}"}
    chunk, chunks = os.urandom(1 << 20), 300
    expected = hashlib.sha256(chunk * chunks).hexdigest()
    try:
        exchanged = _exchange_large_file(proxy, headers, chunk, chunks, expected=expected)
    finally:
        proxy.stop()
    assert exchanged == (len(chunk) * chunks, expected)
    assert "temporary file" not in proxy.error_log()


def _exchange_large_file(
    proxy: Nginx, headers: dict[str, str], chunk: bytes, chunks: int, *, expected: str
) -> tuple[int, str]:
    """Upload `chunk` x `chunks` (SHA-256 `expected`) as a file of a new vault, download it:
    (size, sha256) back."""

    def body() -> Iterator[bytes]:
        for _ in range(chunks):
            yield chunk

    with client(proxy) as http:
        customer = http.post(
            "/api/customers",
            json={
                "name": "Large Files Ltd",
                "email": "large@example.org",
                "preferred_channel": "email",
            },
            headers=headers,
        )
        assert customer.status_code == 201, customer.text
        vault = http.post(
            f"/api/customers/{customer.json()['id']}/vaults",
            json={"name": "archive"},
            headers=headers,
        )
        assert vault.status_code == 201, vault.text
        stored = http.put(
            f"/api/vaults/{vault.json()['id']}/files/archive.bin",
            content=body(),
            headers={**headers, "Content-Type": "application/octet-stream"},
        )
        assert stored.status_code in (200, 201), stored.text
        assert stored.json()["size"] == len(chunk) * chunks
        digest, received = hashlib.sha256(), 0
        with http.stream(
            "GET", f"/api/files/{stored.json()['id']}/content", headers=headers
        ) as download:
            assert download.status_code == 200
            for part in download.iter_bytes():
                digest.update(part)
                received += len(part)
    return received, digest.hexdigest()


@pytest.mark.fleet
def test_an_upload_with_a_huge_part_content_type_downloads_through_the_site(
    proxy: Nginx, api: ApiProcess
) -> None:
    """A form part's Content-Type of 3,919 bytes was stored and sent back, past nginx's
    proxy buffer for headers: the file answered 503 through the site."""
    headers = {"Authorization": f"Bearer {staff_api_token(api.root / 'data' / 'data.db')}"}
    with client(proxy) as http:
        customer = http.post(
            "/api/customers",
            json={"name": "Ada", "email": "ada@example.org", "preferred_channel": "email"},
            headers=headers,
        )
        assert customer.status_code == 201, customer.text
        vault = http.post(
            f"/api/customers/{customer.json()['id']}/vaults", json={"name": "v"}, headers=headers
        )
        assert vault.status_code == 201, vault.text
        stored = http.post(
            f"/api/vaults/{vault.json()['id']}/files",
            files={"file": ("scan.pdf", b"%PDF-1.4 scan", "x/" + "z" * 3_917)},
            headers=headers,
        )
        assert stored.status_code == 201, stored.text
        got = http.get(f"/api/files/{stored.json()['id']}/content", headers=headers)
    assert got.status_code == 200, got.text
    assert got.content == b"%PDF-1.4 scan"
    assert got.headers["content-type"] == "application/pdf"
