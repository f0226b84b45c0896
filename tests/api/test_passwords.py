from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path

import pytest

from vault03_api.passwords import HASHING_NICENESS, Passwords
from vault03_api.settings import ApiSettings


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are Linux's")
def test_hashing_runs_on_low_priority_threads(tmp_path: Path) -> None:
    # A login storm keeps every core hashing: the event loop (health checks, other requests)
    # must still get the CPU first.
    passwords = Passwords(ApiSettings(data_dir=tmp_path / "data", keys_dir=tmp_path / "keys"))
    seen: list[tuple[int, int]] = []
    original = passwords.hash_now

    def hash_and_note(password: str) -> str:
        thread_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        seen.append((threading.get_native_id(), thread_nice))
        return original(password)

    passwords.hash_now = hash_and_note  # type: ignore[method-assign]
    try:
        stored = asyncio.run(passwords.hash("a long enough password"))
    finally:
        passwords.close()
    assert passwords.verify_now(stored, "a long enough password").ok
    [(thread_id, thread_nice)] = seen
    assert thread_id != threading.get_native_id()  # off the calling (event loop) thread
    assert thread_nice == HASHING_NICENESS
