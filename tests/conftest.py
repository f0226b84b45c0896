from __future__ import annotations

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
