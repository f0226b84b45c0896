"""The master key ring: versioned key-encryption keys (KEK) kept outside the data directory.

Each version is one file `kek-NNNN.key` (32 random bytes, mode 0600). The highest version is
current: new data keys and sealed secrets use it; older versions stay until nothing uses them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

KEY_BYTES = 32
_CHECK_LABEL = b"vault03 master key check v1"


class KeyRingError(Exception):
    """The key directory is missing, unreadable, or lacks a version that data needs."""


def key_path(keys_dir: Path, version: int) -> Path:
    return keys_dir / f"kek-{version:04d}.key"


def key_versions(keys_dir: Path) -> list[int]:
    """The versions present in the key directory, oldest first."""
    if not keys_dir.is_dir():
        return []
    return sorted(int(path.stem.removeprefix("kek-")) for path in keys_dir.glob("kek-*.key"))


def _fsync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_key(keys_dir: Path, version: int) -> Path:
    """Create key `version` with fresh random bytes; never overwrites an existing key."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    path = key_path(keys_dir, version)
    # Written aside and linked into place, so a crash never leaves a short key file behind.
    partial = keys_dir / f".kek-{version:04d}.{secrets.token_hex(4)}.partial"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        os.link(partial, path)  # fails with FileExistsError rather than replace a key
    finally:
        partial.unlink(missing_ok=True)
    _fsync_dir(keys_dir)
    return path


def remove_key(keys_dir: Path, version: int) -> None:
    """Delete key `version` from the directory (the caller has checked nothing uses it)."""
    key_path(keys_dir, version).unlink()
    _fsync_dir(keys_dir)


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


def check_value(key: bytes) -> str:
    """A public fingerprint of a key (HMAC of a constant): tells a wrong key file from the
    right one without revealing anything about the key."""
    return hmac.new(key, _CHECK_LABEL, hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class KeyRing:
    """The loaded master keys by version."""

    keys: dict[int, bytes]

    @classmethod
    def load(cls, keys_dir: Path) -> KeyRing:
        if not keys_dir.is_dir():
            raise KeyRingError(f"the key directory {keys_dir} does not exist")
        keys: dict[int, bytes] = {}
        for version in key_versions(keys_dir):
            path = key_path(keys_dir, version)
            try:
                data = path.read_bytes()
            except OSError as error:
                raise KeyRingError(f"cannot read {path}: {error.strerror}") from None
            if len(data) != KEY_BYTES:
                raise KeyRingError(f"{path} is not a {KEY_BYTES}-byte key")
            keys[version] = data
        if not keys:
            raise KeyRingError(f"no master key in {keys_dir}")
        return cls(keys)

    @property
    def current_version(self) -> int:
        return max(self.keys)

    @property
    def versions(self) -> list[int]:
        return sorted(self.keys)

    def key(self, version: int) -> bytes:
        try:
            return self.keys[version]
        except KeyError:
            raise KeyRingError(f"master key version {version} is missing") from None

    def check_value(self, version: int) -> str:
        return check_value(self.key(version))

    def require(self, versions: set[int]) -> None:
        """Refuse to run when data needs versions that are not in the ring."""
        missing = sorted(versions - set(self.keys))
        if missing:
            raise KeyRingError(
                f"master key version(s) {missing} are needed by existing data but missing from "
                "the key directory; restore them from your offline copy"
            )


class KeyRingSource:
    """The key ring of a running process, reloaded when the key directory changes (so a
    version added by `vault03 keys rotate` is used without a restart)."""

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._ring: KeyRing | None = None

    def _directory_stamp(self) -> int:
        try:
            return os.stat(self.keys_dir).st_mtime_ns
        except FileNotFoundError:
            return -1

    def get(self) -> KeyRing:
        """The current ring; reads the directory again only when its listing changed."""
        stamp = self._directory_stamp()
        with self._lock:
            if self._ring is None or stamp != self._stamp:
                try:
                    self._ring = KeyRing.load(self.keys_dir)
                except KeyRingError:
                    if self._ring is None:
                        raise
                    # Keep serving with the keys already loaded; the next call tries again.
                    log.exception("the key directory changed and could not be read again")
                    return self._ring
                self._stamp = stamp
            return self._ring
