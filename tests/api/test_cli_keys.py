"""`vault03 keys init` and the API's answer to a key directory it cannot use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support import free_port
from vault03_api.cli import main as vault03


def _clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT03_")}
    return {**env, **values}


def test_keys_init_creates_the_first_key_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys"
    monkeypatch.setenv("VAULT03_API_KEYS_DIR", str(keys))
    first = CliRunner().invoke(vault03, ["keys", "init"])
    assert first.exit_code == 0, first.output
    assert "store a copy offline" in first.output
    key = keys / "kek-0001.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert keys.stat().st_mode & 0o777 == 0o700
    content = key.read_bytes()

    again = CliRunner().invoke(vault03, ["keys", "init"])
    assert again.exit_code == 0, again.output
    assert "already holds master key versions [1]" in again.output
    assert key.read_bytes() == content
    assert sorted(p.name for p in keys.iterdir()) == ["kek-0001.key"]


def test_keys_init_reports_an_unusable_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "not-a-dir").write_text("")
    monkeypatch.setenv("VAULT03_API_KEYS_DIR", str(tmp_path / "not-a-dir" / "keys"))
    result = CliRunner().invoke(vault03, ["keys", "init"])
    assert result.exit_code != 0
    assert "none can be created there" in str(result.exception)


def test_api_refuses_to_start_without_a_key_it_cannot_create(tmp_path: Path) -> None:
    """As with the read-only key mount of compose.yaml: a clear error, not a traceback only."""
    (tmp_path / "not-a-dir").write_text("")
    env = _clean_env(
        VAULT03_API_PORT=str(free_port()),
        VAULT03_API_DATA_DIR=str(tmp_path / "data"),
        VAULT03_API_BACKUP_DIR=str(tmp_path / "backup"),
        VAULT03_API_KEYS_DIR=str(tmp_path / "not-a-dir" / "keys"),
        VAULT03_NATS_URL=f"nats://127.0.0.1:{free_port()}",
    )
    result = subprocess.run(
        [sys.executable, "-m", "vault03_api"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "no master key in" in output
    assert "docker compose run --rm keys-init" in output
