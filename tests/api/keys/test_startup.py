"""The API refuses to start, with a clear message, without the master keys its data needs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.identity import FakeClock, harness_for, make_settings
from tests.support.vaults import new_vault, token_headers
from vault03_api.keyring import KeyRingError, key_path, key_versions
from vault03_api.keys.service import rotate
from vault03_api.main import create_app
from vault03_api.settings import ApiSettings


def store_a_file(settings: ApiSettings, fake_clock: FakeClock) -> None:
    for harness in harness_for(settings, fake_clock):
        staff = token_headers(harness, "staff")
        vault_id = new_vault(harness, staff)
        response = harness.client.put(
            f"/api/vaults/{vault_id}/files/a", content=b"data", headers=staff
        )
        assert response.status_code == 201


def start(settings: ApiSettings) -> None:
    with TestClient(create_app(settings)):
        pass


def test_first_start_creates_a_private_key(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    start(settings)
    assert key_versions(settings.keys_dir) == [1]
    assert oct(key_path(settings.keys_dir, 1).stat().st_mode & 0o777) == "0o600"
    start(settings)
    assert key_versions(settings.keys_dir) == [1]


def test_missing_key_directory_is_refused(tmp_path: Path, fake_clock: FakeClock) -> None:
    settings = make_settings(tmp_path)
    store_a_file(settings, fake_clock)
    shutil.rmtree(settings.keys_dir)
    with pytest.raises(KeyRingError, match=r"holds no master key, but the database needs"):
        start(settings)
    assert not settings.keys_dir.exists() or key_versions(settings.keys_dir) == []


def test_wrong_key_file_is_refused(tmp_path: Path, fake_clock: FakeClock) -> None:
    settings = make_settings(tmp_path)
    store_a_file(settings, fake_clock)
    key_path(settings.keys_dir, 1).write_bytes(os.urandom(32))
    with pytest.raises(KeyRingError, match="is not the master key version 1"):
        start(settings)


def test_missing_version_is_refused(tmp_path: Path, fake_clock: FakeClock) -> None:
    settings = make_settings(tmp_path)
    store_a_file(settings, fake_clock)
    from vault03_api.db import create_db_engine

    engine = create_db_engine(settings.database_path)
    rotate(engine, keys_dir=settings.keys_dir)
    engine.dispose()
    key_path(settings.keys_dir, 2).unlink()
    with pytest.raises(KeyRingError, match=r"\[2\] are needed by existing data"):
        start(settings)
