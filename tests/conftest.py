from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import NatsServer


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A fresh JetStream server for one test; tests may stop and start it again."""
    server = NatsServer(tmp_path / "nats")
    server.start()
    yield server
    server.stop()
