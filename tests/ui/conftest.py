"""The console's browser tests: the real fleet serving the built console, Debian's Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support import NatsServer
from tests.support.console import built
from tests.support.fleet import Fleet, running_fleet
from tests.support.tools import CHROMIUM_FLAGS, require_tool


@pytest.fixture
def fleet(tmp_path: Path, nats_server: NatsServer) -> Iterator[Fleet]:
    extra = {
        "VAULT03_API_UI_DIR": str(built()),
        "VAULT03_API_SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback
    }
    with running_fleet(tmp_path, nats_url=nats_server.url, extra_env=extra) as fleet:
        yield fleet


@pytest.fixture
def browser() -> Iterator[Browser]:
    chromium = require_tool("chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()
