"""The container health probe against a real HTTP server."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support import free_port
from vault03_common.probe import probe


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/healthz" else 503
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}' if status == 200 else b'{"status": "degraded"}')

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_healthy_endpoint_passes(server: str) -> None:
    assert probe(f"{server}/healthz") is None


def test_degraded_endpoint_fails_with_its_status(server: str) -> None:
    assert probe(f"{server}/degraded") == f"{server}/degraded answered 503"


def test_nothing_listening_fails() -> None:
    failure = probe(f"http://127.0.0.1:{free_port()}/healthz")
    assert failure is not None and "unreachable" in failure


@pytest.mark.parametrize(("path", "code"), [("/healthz", 0), ("/degraded", 1)])
def test_exit_status_is_what_docker_reads(server: str, path: str, code: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vault03_common.probe", f"{server}{path}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == code, result.stderr


def test_usage_error_for_a_non_http_argument() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vault03_common.probe", "file:///etc/passwd"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "usage" in result.stderr
