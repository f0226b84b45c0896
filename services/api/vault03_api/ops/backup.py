"""Consistent database copies through SQLite's online backup API (never a file copy)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pysqlite3.dbapi2 as sqlite


class BackupError(Exception):
    """A copy could not be made or failed its integrity check; nothing was kept."""


def snapshot_database(source: Path, target: Path) -> Path:
    """Copy a live database to `target`, check its integrity, and only then keep it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    with (
        contextlib.closing(sqlite.connect(f"file:{source}?mode=ro", uri=True)) as src,
        contextlib.closing(sqlite.connect(partial)) as dst,
    ):
        src.backup(dst)
        # A copy is one self-contained file: no WAL beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"copy of {source} failed its integrity check: {result}")
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    os.chmod(target, 0o640)
    return target
