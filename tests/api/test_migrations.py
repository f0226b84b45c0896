from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from vault03_api import migrations
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


def one_vault(connection: Connection) -> None:
    """A customer (1) and their vault (1), for a migration test's files."""
    connection.exec_driver_sql(
        "INSERT INTO customers (name, email, preferred_channel, created_at, updated_at) "
        "VALUES ('A', 'a@example.org', 'email', '2026-01-01', '2026-01-01')"
    )
    connection.exec_driver_sql(
        "INSERT INTO vaults (customer_id, name, created_at, updated_at) "
        "VALUES (1, 'v', '2026-01-01', '2026-01-01')"
    )


def test_stored_media_types_are_cut_to_a_bounded_essence(tmp_path: Path) -> None:
    from alembic import command

    from vault03_api.migrations import alembic_config

    engine = create_db_engine(tmp_path / "data.db")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
        one_vault(connection)
        for file_id, content_type in [
            ("a", "application/pdf"),
            ("b", "Text/Plain; charset=utf-8"),
            ("c", "x/" + "z" * 3_917),
        ]:
            connection.exec_driver_sql(
                "INSERT INTO files (id, vault_id, name, content_type, size, sha256, key_version,"
                " wrapped_key, created_at) VALUES (?, 1, ?, ?, 0, '', 1, x'00', '2026-01-01')",
                (file_id, file_id, content_type),
            )
    upgrade_database(engine, database=tmp_path / "data.db", backup_dir=tmp_path / "backup")
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT id, content_type FROM files ORDER BY id").all()
    assert [tuple(row) for row in rows] == [
        ("a", "application/pdf"),
        ("b", "text/plain"),
        ("c", "application/octet-stream"),
    ]


def test_stored_file_names_lose_their_invisible_characters(tmp_path: Path) -> None:
    from alembic import command

    from vault03_api.migrations import alembic_config

    engine = create_db_engine(tmp_path / "data.db")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
        one_vault(connection)
        for file_id, name, deleted_at in [
            ("a", "invoice\u202efdp.exe", None),
            ("b", "invoice_fdp.exe", None),  # the cleaned name is taken
            ("c", "plain.pdf", None),
            ("d", "old\u202e.txt", "2026-01-02"),
        ]:
            connection.exec_driver_sql(
                "INSERT INTO files (id, vault_id, name, content_type, size, key_version,"
                " wrapped_key, created_at, deleted_at)"
                " VALUES (?, 1, ?, 'application/pdf', 0, 1, x'00', ?, ?)",
                (file_id, name, f"2026-01-01T00:00:0{file_id == 'a'}", deleted_at),
            )
    upgrade_database(engine, database=tmp_path / "data.db", backup_dir=tmp_path / "backup")
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT id, name FROM files ORDER BY id").all()
    assert [tuple(row) for row in rows] == [
        ("a", "invoice_fdp (2).exe"),
        ("b", "invoice_fdp.exe"),
        ("c", "plain.pdf"),
        ("d", "old_.txt"),
    ]


def test_files_superseded_before_versions_become_older_versions(tmp_path: Path) -> None:
    from alembic import command

    from vault03_api.migrations import alembic_config

    engine = create_db_engine(tmp_path / "data.db")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0012")
        connection.exec_driver_sql(
            "INSERT INTO users (name, email, role, security_stamp, created_at, updated_at) "
            "VALUES ('S', 's@example.org', 'staff', 'x', '2026-01-01', '2026-01-01')"
        )
        one_vault(connection)
        # a1 <- a2 <- a3 replaced one another; d was deleted by hand before e was uploaded
        # later under its name; r was sent by a recipient.
        for file_id, name, created_at, deleted_at, uploaded_by in [
            ("a1", "a.pdf", "2026-01-01T01", "2026-01-01T02", 1),
            ("a2", "a.pdf", "2026-01-01T02", "2026-01-01T03", 1),
            ("a3", "a.pdf", "2026-01-01T03", None, 1),
            ("d", "d.pdf", "2026-01-01T01", "2026-01-01T02", 1),
            ("e", "d.pdf", "2026-01-01T04", None, 1),
            ("r", "r.pdf", "2026-01-01T01", None, None),
        ]:
            connection.exec_driver_sql(
                "INSERT INTO files (id, vault_id, name, content_type, size, key_version,"
                " wrapped_key, uploaded_by, created_at, deleted_at)"
                " VALUES (?, 1, ?, 'application/pdf', 0, 1, x'00', ?, ?, ?)",
                (file_id, name, uploaded_by, created_at, deleted_at),
            )
    upgrade_database(engine, database=tmp_path / "data.db", backup_dir=tmp_path / "backup")
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT id, lineage FROM files ORDER BY id").all()
    assert dict(tuple(row) for row in rows) == {
        "a1": "a1",
        "a2": "a1",
        "a3": "a1",
        "d": "d",
        "e": "e",
        "r": "r",
    }


def test_migrations_form_one_chain_of_unique_revisions() -> None:
    # Two branches that each add the next number land side by side without a textual conflict.
    versions = Path(migrations.__file__).parent / "versions"
    found: dict[str, str | None] = {}
    for path in sorted(versions.glob("*.py")):
        spec = dict(
            re.findall(r'^(revision|down_revision) = "?([^"\n]+)"?$', path.read_text(), re.M)
        )
        assert spec["revision"] not in found, f"{path.name} repeats revision {spec['revision']}"
        found[spec["revision"]] = None if spec["down_revision"] == "None" else spec["down_revision"]
    parents = list(found.values())
    assert len(set(parents)) == len(parents), "two migrations follow the same revision"
    assert parents.count(None) == 1


def test_share_deliveries_keep_their_rows_and_may_then_be_reminders(tmp_path: Path) -> None:
    from alembic import command

    from vault03_api.migrations import alembic_config

    engine = create_db_engine(tmp_path / "data.db")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0015")
        one_vault(connection)
        connection.exec_driver_sql(
            "INSERT INTO shares (vault_id, customer_id, third_party, recipient_name,"
            " recipient_email, code_channel, can_download, can_upload, notify_on_access,"
            " expires_at, download_count, token_hash, code_hash, code_failures, created_at,"
            " updated_at, issued_at) VALUES (1, 1, 0, 'A', 'a@example.org', 'email', 1, 0, 0,"
            " '2026-02-01', 0, 't', 'c', 0, '2026-01-01', '2026-01-01', '2026-01-01')"
        )
        for delivery_id, purpose in (("d1", "link"), ("d2", "code")):
            connection.exec_driver_sql(
                "INSERT INTO deliveries (id, channel, kind, recipient, payload, status,"
                " created_at, updated_at) VALUES (?, 'email', 'k', 'a@example.org', '{}',"
                " 'sent', '2026-01-01', '2026-01-01')",
                (delivery_id,),
            )
            connection.exec_driver_sql(
                "INSERT INTO share_deliveries VALUES (?, 1, ?, '2026-01-01')",
                (delivery_id, purpose),
            )
    upgrade_database(engine, database=tmp_path / "data.db", backup_dir=tmp_path / "backup")
    insert = "INSERT INTO share_deliveries VALUES ('d3', 1, ?, '2026-01-02')"
    with engine.begin() as connection:
        rows = connection.exec_driver_sql(
            "SELECT delivery_id, share_id, purpose FROM share_deliveries ORDER BY delivery_id"
        ).all()
        assert [tuple(row) for row in rows] == [("d1", 1, "link"), ("d2", 1, "code")]
        connection.exec_driver_sql(
            "INSERT INTO deliveries (id, channel, kind, recipient, payload, status, created_at,"
            " updated_at) VALUES ('d3', 'sms', 'k', '+33', '{}', 'sent', '2026-01-02',"
            " '2026-01-02')"
        )
        with pytest.raises(IntegrityError, match="CHECK"):
            connection.exec_driver_sql(insert, ("postcard",))
        connection.exec_driver_sql(insert, ("reminder",))
        connection.exec_driver_sql("DELETE FROM shares")  # still cascades to its deliveries
        assert connection.exec_driver_sql("SELECT count(*) FROM share_deliveries").scalar() == 0


def test_customers_and_shares_from_before_languages_get_the_office_s(tmp_path: Path) -> None:
    from alembic import command

    from vault03_api.migrations import alembic_config

    engine = create_db_engine(tmp_path / "data.db")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0016")
        one_vault(connection)
    upgrade_database(
        engine,
        database=tmp_path / "data.db",
        backup_dir=tmp_path / "backup",
        default_language="de",
    )
    with engine.connect() as connection:
        languages = connection.exec_driver_sql("SELECT language FROM customers").scalars().all()
    assert languages == ["de"]
