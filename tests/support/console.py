"""The staff console (ui/) for tests: pnpm as the Makefile gets it, one build per test run."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path

from tests.support.tools import require_tool

UI = Path(__file__).resolve().parents[2] / "ui"


def pnpm() -> list[str]:
    """pnpm if installed, else the version ui/package.json pins, from the npm registry."""
    found = shutil.which("pnpm")
    if found:
        return [found]
    npx = require_tool("npx")
    manager = json.loads((UI / "package.json").read_text())["packageManager"]
    return [npx, "--yes", manager]


def run_pnpm(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a pnpm command in ui/; the output is kept for the failure message."""
    require_tool("node")
    return subprocess.run(
        [*pnpm(), *args], cwd=UI, capture_output=True, text=True, timeout=600, check=False
    )


@cache
def installed() -> None:
    """ui/node_modules as the lockfile says (once per test run)."""
    done = run_pnpm("install", "--frozen-lockfile")
    assert done.returncode == 0, done.stdout + done.stderr


@cache
def built() -> Path:
    """ui/dist built from the sources of this checkout (once per test run)."""
    installed()
    done = run_pnpm("build")
    assert done.returncode == 0, done.stdout + done.stderr
    return UI / "dist"
