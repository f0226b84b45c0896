from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import NatsServer
from vault03_api.settings import ApiSettings


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A fresh JetStream server for one test; tests may stop and start it again."""
    server = NatsServer(tmp_path / "nats")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api_settings(tmp_path: Path, nats_server: NatsServer) -> ApiSettings:
    """API settings on temporary directories and the test's own NATS."""
    return ApiSettings(
        data_dir=tmp_path / "data",
        keys_dir=tmp_path / "keys",
        backup_dir=tmp_path / "backup",
        nats_url=nats_server.url,
        nats_grace_seconds=1.0,
        outbox_poll_seconds=0.2,
    )


# First start of each module marked `module_timeout`, for the hook below.
_module_started: dict[str, float] = {}


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """`module_timeout(seconds)` bounds a module's tests together, fixtures included: each test
    gets pytest-timeout's limit set to what is left of the module's budget."""
    marker = item.get_closest_marker("module_timeout")
    if marker is not None:
        started = _module_started.setdefault(item.nodeid.split("::")[0], time.monotonic())
        left = marker.args[0] - (time.monotonic() - started)
        item.add_marker(pytest.mark.timeout(max(left, 1.0)), append=False)
    yield
