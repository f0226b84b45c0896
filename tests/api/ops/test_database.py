from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from tests.support import IN_CI
from tests.support.api_process import VAULT03, api_environment
from tests.support.installation import Installation, add_deliveries, count_rows
from vault03_api.cli import main
from vault03_api.db import create_db_engine, session_scope
from vault03_api.deliveries.models import Delivery
from vault03_api.ops.lock import DataDirLock

SQLITE3 = shutil.which("sqlite3")
needs_sqlite3 = pytest.mark.skipif(
    SQLITE3 is None and not IN_CI, reason="Debian's sqlite3 command is not installed"
)


def vault03(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def sqlite3_cli(database: object, sql: str) -> str:
    """The guide's raw command: sqlite3 /opt/vault03/data/data.db "<sql>"."""
    assert SQLITE3 is not None, "sqlite3 is required in CI"
    result = subprocess.run([SQLITE3, str(database), sql], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def delete_most_rows(installation: Installation) -> None:
    add_deliveries(installation.database, 400, text="x" * 2000)
    with contextlib.closing(sqlite3.connect(installation.database)) as connection:
        connection.execute("DELETE FROM deliveries WHERE recipient != '+33612340000'")
        connection.commit()


def test_integrity_check_says_ok(installation: Installation) -> None:
    assert vault03("db", "integrity-check") == (0, "ok\n")


def test_integrity_check_reports_a_damaged_database(installation: Installation) -> None:
    # Damage an index page: the table stays readable but the index no longer matches it.
    with contextlib.closing(sqlite3.connect(installation.database)) as connection:
        connection.execute("PRAGMA writable_schema=ON")
        connection.execute(
            "UPDATE sqlite_master SET sql = replace(sql, 'channel', 'kind') "
            "WHERE type = 'index' AND name = 'ix_deliveries_channel'"
        )
        connection.commit()
    code, output = vault03("db", "integrity-check")
    assert code == 1
    assert "ix_deliveries_channel" in output


def test_size_prints_the_guides_figure(installation: Installation) -> None:
    code, output = vault03("db", "size")
    assert code == 0
    with contextlib.closing(sqlite3.connect(installation.database)) as connection:
        pages, page_size = connection.execute(
            "SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()"
        ).fetchone()
    assert f"size_mb:  {pages * page_size / 1024 / 1024:.3f}" in output
    assert f"{installation.database} {installation.database.stat().st_size} bytes" in output


def test_vacuum_reclaims_space(installation: Installation) -> None:
    delete_most_rows(installation)
    before, rows = installation.database.stat().st_size, count_rows(installation.database)
    code, output = vault03("db", "vacuum")
    assert code == 0, output
    assert installation.database.stat().st_size < before / 4
    assert count_rows(installation.database) == rows == 2
    assert vault03("db", "integrity-check") == (0, "ok\n")


def test_vacuum_refuses_while_the_data_directory_is_held(installation: Installation) -> None:
    lock = DataDirLock(installation.data_dir)
    lock.acquire("api")
    try:
        code, output = vault03("db", "vacuum")
        assert code == 1
        assert "in use by api pid" in output and "stop the API first" in output
        code, output = vault03("db", "vacuum", "--force")
        assert code == 0, output
    finally:
        lock.release()


def test_analyze_fills_the_planner_statistics(installation: Installation) -> None:
    assert vault03("db", "analyze") == (0, "analyzed\n")
    with contextlib.closing(sqlite3.connect(installation.database)) as connection:
        assert connection.execute("SELECT count(*) FROM sqlite_stat1").fetchone()[0] > 0


def test_snapshot_to_stdout_is_a_checked_database(
    installation: Installation, tmp_path: Path
) -> None:
    env = api_environment(installation.root, nats_url="nats://127.0.0.1:1", port=1)
    result = subprocess.run([VAULT03, "db", "snapshot", "-"], env=env, capture_output=True)
    assert result.returncode == 0, result.stderr
    copy = installation.root / "copy.db"
    copy.write_bytes(result.stdout)
    assert count_rows(copy) == 25


@needs_sqlite3
def test_the_guides_sqlite3_commands_work_on_our_database(installation: Installation) -> None:
    database = installation.database
    delete_most_rows(installation)
    assert sqlite3_cli(database, "PRAGMA journal_mode=WAL;") == "wal"
    assert sqlite3_cli(database, "ANALYZE;") == ""
    before = database.stat().st_size
    assert sqlite3_cli(database, "VACUUM;") == ""
    assert database.stat().st_size < before
    size_mb = sqlite3_cli(
        database,
        "SELECT page_count * page_size / 1024 / 1024.0 as size_mb "
        "FROM pragma_page_count(), pragma_page_size();",
    )
    assert float(size_mb) * 1024 * 1024 == database.stat().st_size
    assert sqlite3_cli(database, "PRAGMA integrity_check;") == "ok"
    # The API's own engine still reads and writes the file the guide's commands touched.
    engine = create_db_engine(database)
    try:
        with session_scope(engine) as session:
            assert len(session.exec(select(Delivery)).all()) == 2
    finally:
        engine.dispose()
    add_deliveries(database, 2)
    assert count_rows(database) == 4
