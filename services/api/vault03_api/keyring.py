"""The master key ring: versioned key-encryption keys kept outside the data directory."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

KEY_BYTES = 32


def key_path(keys_dir: Path, version: int) -> Path:
    return keys_dir / f"kek-{version:04d}.key"


def key_versions(keys_dir: Path) -> list[int]:
    """The versions present in the key directory, oldest first."""
    if not keys_dir.is_dir():
        return []
    return sorted(int(path.stem.removeprefix("kek-")) for path in keys_dir.glob("kek-*.key"))


def ensure_master_key(keys_dir: Path) -> bool:
    """Create the first master key when the directory holds none; True when one was created."""
    if key_versions(keys_dir):
        return False
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    path = key_path(keys_dir, 1)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_bytes(KEY_BYTES))
        handle.flush()
        os.fsync(handle.fileno())
    log.warning(
        "a new master key was created: store a copy offline now; it is never part of a "
        "backup, and without it the encrypted files cannot be read",
        extra={"key_file": str(path)},
    )
    return True
