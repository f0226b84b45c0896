"""The master key ring on disk: versions, file modes, reloading, clear refusals."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from vault03_api.keyring import (
    KeyRing,
    KeyRingError,
    KeyRingSource,
    ensure_master_key,
    key_path,
    key_versions,
    remove_key,
    write_key,
)
from vault03_api.sealing import reseal, seal, sealed_version, unseal


def test_keys_are_private_and_never_overwritten(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert ensure_master_key(keys) is True
    assert ensure_master_key(keys) is False
    path = key_path(keys, 1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        write_key(keys, 1)
    assert path.read_bytes() == before
    write_key(keys, 2)
    assert key_versions(keys) == [1, 2]
    assert [p.name for p in keys.iterdir() if p.name.startswith(".")] == []


def test_ring_versions_and_check_values(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    write_key(keys, 1)
    write_key(keys, 3)
    ring = KeyRing.load(keys)
    assert ring.current_version == 3
    assert ring.versions == [1, 3]
    assert ring.check_value(1) != ring.check_value(3)
    assert ring.check_value(1) == KeyRing.load(keys).check_value(1)
    assert ring.key(1).hex() not in ring.check_value(1)
    with pytest.raises(KeyRingError, match="version 2 is missing"):
        ring.key(2)
    with pytest.raises(KeyRingError, match=r"\[2\] are needed by existing data"):
        ring.require({1, 2, 3})
    ring.require({1, 3})


def test_load_refuses_missing_or_broken_keys(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match="does not exist"):
        KeyRing.load(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(KeyRingError, match="no master key"):
        KeyRing.load(tmp_path / "empty")
    write_key(tmp_path / "short", 1)
    key_path(tmp_path / "short", 1).write_bytes(b"short")
    with pytest.raises(KeyRingError, match="is not a 32-byte key"):
        KeyRing.load(tmp_path / "short")


def test_source_reloads_when_a_version_is_added_or_removed(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    write_key(keys, 1)
    source = KeyRingSource(keys)
    assert source.get().versions == [1]
    write_key(keys, 2)
    os.utime(keys, ns=(0, 1))  # a coarse clock could leave the mtime unchanged
    assert source.get().versions == [1, 2]
    remove_key(keys, 1)
    assert source.get().versions == [2]


def test_sealed_values_follow_rotation(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    write_key(keys, 1)
    token = seal(KeyRing.load(keys), b"secret", purpose="totp:1")
    write_key(keys, 2)
    ring = KeyRing.load(keys)
    assert sealed_version(token) == 1
    moved = reseal(ring, token, purpose="totp:1", version=2)
    assert sealed_version(moved) == 2
    assert unseal(ring, moved, purpose="totp:1") == b"secret"
    with pytest.raises(InvalidTag):
        unseal(ring, moved, purpose="totp:2")
