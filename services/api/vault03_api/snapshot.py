"""Consistent copies of the live database (SQLite's online backup API, never a file copy),
checked for integrity before they are kept: taken before a migration and by every backup."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pysqlite3.dbapi2 as sqlite

FILE_MODE = 0o640


class BackupError(Exception):
    """A copy could not be made or failed its integrity check; nothing was kept."""


def integrity_problems(database: Path) -> list[str]:
    """`PRAGMA integrity_check` on a database file: an empty list when it is sound."""
    try:
        with contextlib.closing(sqlite.connect(database)) as connection:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
    except sqlite.DatabaseError as exc:
        return [f"{type(exc).__name__}: {exc}"]
    results = [str(row[0]) for row in rows]
    return [] if results == ["ok"] else results


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
    problems = integrity_problems(partial)
    if problems:
        partial.unlink(missing_ok=True)
        raise BackupError(f"copy of {source} failed its integrity check: {problems[:5]}")
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    os.chmod(target, FILE_MODE)
    return target
