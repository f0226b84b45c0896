"""Attempts being checked right now, counted per key in memory: staff logins and the portal's
access codes reserve one before their slow check, so a burst cannot outrun the stored limits."""

from __future__ import annotations

import threading
from collections import Counter


class InFlight:
    """Attempts reserved and still being checked, per key (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def reserve(self, budgets: dict[str, int]) -> bool:
        """Take one attempt on every key whose remaining budget allows it, or none at all."""
        with self._lock:
            if any(self._counts[key] >= budget for key, budget in budgets.items()):
                return False
            self._counts.update(budgets.keys())
            return True

    def release(self, keys: list[str]) -> None:
        with self._lock:
            self._counts.subtract(keys)
            for key in keys:
                if self._counts[key] <= 0:
                    del self._counts[key]
