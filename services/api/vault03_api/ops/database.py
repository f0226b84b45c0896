"""Database maintenance: the guide's sqlite3 commands, run with the bundled SQLite."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pysqlite3.dbapi2 as sqlite

# The guide's size query, kept word for word so both give the same figure.
SIZE_QUERY = (
    "SELECT page_count * page_size / 1024 / 1024.0 as size_mb "
    "FROM pragma_page_count(), pragma_page_size();"
)


@dataclass(frozen=True)
class DatabaseSize:
    file_bytes: int
    wal_bytes: int
    size_mb: float
    free_pages: int


def _connect(database: Path) -> contextlib.closing[sqlite.Connection]:
    if not database.is_file():
        raise FileNotFoundError(f"no database at {database}")
    connection = sqlite.connect(database, timeout=30, isolation_level=None)
    return contextlib.closing(connection)


def database_size(database: Path) -> DatabaseSize:
    """The file's size, its WAL's, the guide's size_mb figure and the pages VACUUM would free."""
    with _connect(database) as connection:
        size_mb = float(connection.execute(SIZE_QUERY).fetchone()[0])
        free_pages = int(connection.execute("PRAGMA freelist_count").fetchone()[0])
    wal = database.with_name(database.name + "-wal")
    return DatabaseSize(
        file_bytes=database.stat().st_size,
        wal_bytes=wal.stat().st_size if wal.exists() else 0,
        size_mb=size_mb,
        free_pages=free_pages,
    )


def vacuum(database: Path) -> None:
    """Rebuild the file to reclaim free pages (the caller makes sure the API is stopped)."""
    with _connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("VACUUM")


def analyze(database: Path) -> None:
    """Refresh the query planner's statistics (safe while the API runs)."""
    with _connect(database) as connection:
        connection.execute("ANALYZE")
