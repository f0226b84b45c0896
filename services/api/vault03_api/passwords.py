"""argon2id password hashing on a pool of low-priority threads, off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from vault03_api.settings import ApiSettings

# Hashing threads yield the CPU to the event loop and other requests (a nice value per thread).
# The lowest priority: at 10, a login storm still delayed health checks by a CPU time slice
# (figures: bench/README.md, login.py).
HASHING_NICENESS = 19


@dataclass(frozen=True)
class Verdict:
    ok: bool
    needs_rehash: bool = False


def lower_priority() -> None:
    """Run the calling thread at HASHING_NICENESS (Linux: per-thread nice values)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


def make_hasher(settings: ApiSettings) -> PasswordHasher:
    """The argon2id hasher with the configured (policy-checked) parameters."""
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


class Passwords:
    """Hash and verify; a missing hash is checked against a dummy so timing tells nothing."""

    def __init__(self, settings: ApiSettings) -> None:
        self.hasher = make_hasher(settings)
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        threads = settings.argon2_threads or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="argon2", initializer=lower_priority
        )

    def hash_now(self, password: str) -> str:
        """Hash in the calling thread (CLI, tests)."""
        return self.hasher.hash(password)

    def verify_now(self, stored: str | None, password: str) -> Verdict:
        """Verify in the calling thread; `stored=None` costs the same as a real check."""
        try:
            self.hasher.verify(stored or self._dummy, password)
        except (VerificationError, InvalidHashError):
            return Verdict(False)
        if stored is None:
            return Verdict(False)
        return Verdict(True, self.hasher.check_needs_rehash(stored))

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.hash_now, password)

    async def verify(self, stored: str | None, password: str) -> Verdict:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.verify_now, stored, password)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
