"""Local sinks: where workers deliver when no provider is configured (development, demos).

Each write is keyed by the delivery id, so a redelivered event is recognised and not written
twice, just as a provider's idempotency key would do.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any


def write_once(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically unless it exists; False when it was already there."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    _fsync_directory(path.parent)
    return True


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class JsonLinesSink:
    """Appends one JSON object per delivery to a file; a delivery id already there is skipped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: set[str] | None = None

    def _load_seen(self) -> set[str]:
        seen: set[str] = set()
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    seen.add(json.loads(line)["delivery_id"])
                except (ValueError, KeyError, TypeError):
                    continue  # a torn last line after a crash
        return seen

    def append(self, record: dict[str, Any]) -> bool:
        """Append `record` (which carries `delivery_id`); False when it was already recorded."""
        delivery_id = record["delivery_id"]
        with self._lock:
            if self._seen is None:
                self._seen = self._load_seen()
            if delivery_id in self._seen:
                return False
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            self._seen.add(delivery_id)
            return True
