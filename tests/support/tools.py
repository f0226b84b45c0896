"""Debian tools the operations tests drive: skipped locally when missing, required in CI."""

from __future__ import annotations

import shutil

import pytest

from tests.support import IN_CI

# Debian's Chromium for Playwright (which cannot download its own browser here).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def require_tool(name: str) -> str:
    """The tool's path; a missing tool skips the test here and fails it in CI."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found:
        return found
    if IN_CI:
        pytest.fail(f"{name} is required in CI (add its Debian package to .ci/run)")
    pytest.skip(f"{name} is not installed")
