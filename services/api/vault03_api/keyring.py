"""The master key ring: versioned key-encryption keys (KEK) kept outside the data directory.

Each version is one file `kek-NNNN.key` (32 random bytes, mode 0600). The highest version is
current: new data keys and sealed secrets use it; older versions stay until nothing uses them.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

KEY_BYTES = 32


class KeyRingError(Exception):
    """The key directory is missing, unreadable, or lacks a version that data needs."""


def key_path(keys_dir: Path, version: int) -> Path:
    return keys_dir / f"kek-{version:04d}.key"


def key_versions(keys_dir: Path) -> list[int]:
    """The versions present in the key directory, oldest first."""
    if not keys_dir.is_dir():
        return []
    return sorted(int(path.stem.removeprefix("kek-")) for path in keys_dir.glob("kek-*.key"))


def write_key(keys_dir: Path, version: int) -> Path:
    """Create key `version` with fresh random bytes; never overwrites an existing key."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    path = key_path(keys_dir, version)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_bytes(KEY_BYTES))
        handle.flush()
        os.fsync(handle.fileno())
    return path


def ensure_master_key(keys_dir: Path) -> bool:
    """Create the first master key when the directory holds none; True when one was created."""
    if key_versions(keys_dir):
        return False
    try:
        path = write_key(keys_dir, 1)
    except OSError as exc:
        # In the container the key directory is mounted read-only: say what to do instead.
        raise KeyRingError(
            f"no master key in {keys_dir}, and none can be created there ({exc.strerror}); "
            "create it once with `vault03 keys init` where that directory is writable "
            "(docker compose: `docker compose run --rm keys-init`), then start again"
        ) from exc
    log.warning(
        "a new master key was created: store a copy offline now; it is never part of a "
        "backup, and without it the encrypted files cannot be read",
        extra={"key_file": str(path)},
    )
    return True


@dataclass(frozen=True)
class KeyRing:
    """The loaded master keys by version."""

    keys: dict[int, bytes]

    @classmethod
    def load(cls, keys_dir: Path) -> KeyRing:
        keys: dict[int, bytes] = {}
        for version in key_versions(keys_dir):
            data = key_path(keys_dir, version).read_bytes()
            if len(data) != KEY_BYTES:
                raise KeyRingError(f"{key_path(keys_dir, version)} is not a {KEY_BYTES}-byte key")
            keys[version] = data
        if not keys:
            raise KeyRingError(f"no master key in {keys_dir}")
        return cls(keys)

    @property
    def current_version(self) -> int:
        return max(self.keys)

    def key(self, version: int) -> bytes:
        try:
            return self.keys[version]
        except KeyError:
            raise KeyRingError(f"master key version {version} is missing") from None

    def require(self, versions: set[int]) -> None:
        """Refuse to run when data needs versions that are not in the ring."""
        missing = sorted(versions - set(self.keys))
        if missing:
            raise KeyRingError(
                f"master key version(s) {missing} are needed by existing data but missing from "
                "the key directory; restore them from your offline copy"
            )
