from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import NatsServer
from tests.support.api_process import ApiProcess
from tests.support.identity import fake_clock, harness

__all__ = ["fake_clock", "harness"]


@pytest.fixture
def api(tmp_path: Path, nats_server: NatsServer) -> Iterator[ApiProcess]:
    """A real API process on loopback, for the tests that need a browser or real sockets."""
    process = ApiProcess(tmp_path / "vault03", nats_url=nats_server.url)
    process.env["VAULT03_API_PUBLIC_URL"] = process.url
    process.env["VAULT03_API_SESSION_COOKIE_SECURE"] = "false"  # plain HTTP on loopback
    process.start()
    yield process
    process.stop()
