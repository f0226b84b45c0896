"""The data-directory lock: held by the running API, and by restore and vacuum while they work.

An advisory `flock` on `<data_dir>/api.lock`. The kernel drops it when the holder exits, even
on a crash or SIGKILL, so a stale file never blocks anyone; and it works across containers that
mount the same volume (`docker compose run` beside a running `api`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = "api.lock"


class DataDirBusy(Exception):
    """Another process (the API, a restore, a vacuum) holds the data directory."""


class DataDirLock:
    """An exclusive, non-blocking lock on a data directory, naming its holder in the file."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self, holder: str) -> None:
        """Take the lock or raise DataDirBusy naming who holds it; never waits."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataDirBusy(
                f"{self.path.parent} is in use by {self.holder() or 'another process'}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder} pid {os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def holder(self) -> str | None:
        """What the lock file says about its holder (informational only)."""
        try:
            return self.path.read_text().strip() or None
        except OSError:
            return None

    def held_elsewhere(self) -> str | None:
        """The holder's description when another process holds the lock, else None."""
        if self._fd is not None:
            return None
        try:
            self.acquire("probe")
        except DataDirBusy:
            return self.holder() or "another process"
        self.release()
        return None


@contextlib.contextmanager
def hold_data_dir(data_dir: Path, holder: str) -> Iterator[DataDirLock]:
    """Hold the data directory for the block; raises DataDirBusy when someone else has it."""
    lock = DataDirLock(data_dir)
    lock.acquire(holder)
    try:
        yield lock
    finally:
        lock.release()
