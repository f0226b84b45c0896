from __future__ import annotations

import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from vault03_api.db import create_db_engine
from vault03_api.main import create_app
from vault03_api.migrations import current_revision, head_revision, upgrade_database
from vault03_api.settings import ApiSettings


def test_start_up_migrates_a_new_database_without_a_copy(api_settings: ApiSettings) -> None:
    with TestClient(create_app(api_settings)):
        pass
    engine = create_db_engine(api_settings.database_path)
    assert current_revision(engine) == head_revision()
    assert not api_settings.backup_dir.exists() or not list(api_settings.backup_dir.iterdir())


def test_existing_data_is_copied_before_migrating(tmp_path: Path) -> None:
    database = tmp_path / "data.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
        connection.execute("INSERT INTO notes VALUES ('keep me')")
    engine = create_db_engine(database)
    copy = upgrade_database(engine, database=database, backup_dir=tmp_path / "backup")
    assert copy is not None
    assert copy.name.startswith("data-") and copy.suffix == ".db"
    assert copy.stat().st_mode & 0o777 == 0o640
    with sqlite3.connect(copy) as connection:
        assert connection.execute("SELECT body FROM notes").fetchall() == [("keep me",)]
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        assert "deliveries" not in tables  # the copy is the state before the migration
    assert current_revision(engine) == head_revision()
    assert upgrade_database(engine, database=database, backup_dir=tmp_path / "backup") is None


def test_database_runs_in_wal_with_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_db_engine(tmp_path / "data.db")
    with engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 10_000
        sqlite_version = connection.exec_driver_sql("select sqlite_version()").scalar()
    assert tuple(int(part) for part in str(sqlite_version).split(".")) >= (3, 51, 3)
