from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pysqlite3.dbapi2 as sqlite
import pytest
from fastapi.testclient import TestClient

from tests.support import NatsServer, wait_for
from vault03_api.health import DatabaseProbe
from vault03_api.main import create_app
from vault03_api.settings import ApiSettings


@pytest.fixture
def client(api_settings: ApiSettings) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings)) as client:
        wait_for(lambda: client.get("/api/health").status_code == 200, what="healthy API")
        yield client


def test_health_reports_every_check(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"]
    assert set(body["checks"]) == {"database", "nats", "disk", "migrations"}
    assert all(check["status"] == "ok" for check in body["checks"].values())


def test_a_relative_data_dir_is_healthy(
    api_settings: ApiSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `make run`'s default data directory is relative (var/data): health must read it too.
    monkeypatch.chdir(tmp_path)
    settings = api_settings.model_copy(update={"data_dir": Path("var/data")})
    with TestClient(create_app(settings)) as client:
        response = wait_for(
            lambda: (r := client.get("/api/health")).status_code == 200 and r,
            what="healthy API on a relative data directory",
        )
    assert response.json()["checks"]["database"]["detail"] == "readable"


def test_nats_down_longer_than_the_grace_period_is_named(
    client: TestClient, nats_server: NatsServer
) -> None:
    nats_server.stop()
    response = wait_for(
        lambda: (r := client.get("/api/health")).status_code == 503 and r,
        what="health to report NATS",
    )
    assert response.json()["failing"] == ["nats"]
    assert response.json()["checks"]["nats"]["status"] == "fail"
    nats_server.start()
    wait_for(lambda: client.get("/api/health").status_code == 200, what="recovery")


def test_disk_over_threshold_is_named(api_settings: ApiSettings) -> None:
    settings = api_settings.model_copy(update={"disk_usage_max_percent": 0.0})
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/health")
    assert response.status_code == 503
    assert "disk" in response.json()["failing"]


def test_unreadable_database_is_named(client: TestClient, api_settings: ApiSettings) -> None:
    client.app.state.vault03.engine.dispose()  # type: ignore[attr-defined]
    database = api_settings.database_path
    for sidecar in (database.with_name("data.db-wal"), database.with_name("data.db-shm")):
        sidecar.unlink(missing_ok=True)
    # Swapped in whole: a file truncated then rewritten in place would, for an instant, be
    # the empty file SQLite accepts as a new database, and the API's background tasks
    # reconnect all the time.
    garbage = database.with_name("garbage.db")
    garbage.write_bytes(b"this is not a database" * 500)
    garbage.replace(database)
    response = client.get("/api/health")
    assert response.status_code == 503
    assert "database" in response.json()["failing"]


def test_metrics_export_health_and_outbox(client: TestClient) -> None:
    client.get("/api/health")
    text = client.get("/metrics").text
    assert 'vault03_api_health_check_ok{check="database"} 1.0' in text
    assert "vault03_outbox_depth 0.0" in text
    assert "vault03_outbox_oldest_age_seconds" in text


def test_errors_are_json(client: TestClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found", "detail": None}


def test_a_database_behind_the_codes_migrations_is_named(
    client: TestClient, api_settings: ApiSettings
) -> None:
    # Written by another process (as `sqlite3` from the operations guide would): health's own
    # connection must see it at the next check, not a view cached from before.
    connection = sqlite.connect(str(api_settings.database_path), timeout=10)
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    connection.close()
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]
    assert "database at 0001" in response.json()["checks"]["migrations"]["detail"]


def test_a_replaced_database_file_is_read_afresh(tmp_path: Path) -> None:
    database = tmp_path / "data.db"
    for revision in ("first", "second"):
        staged = tmp_path / f"{revision}.db"
        connection = sqlite.connect(str(staged))
        with connection:
            connection.execute("CREATE TABLE alembic_version (version_num TEXT)")
            connection.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
        connection.close()
    probe = DatabaseProbe(database)
    try:
        with pytest.raises(sqlite.Error):
            probe.revision()  # no file yet
        (tmp_path / "first.db").rename(database)
        assert probe.revision() == "first"
        (tmp_path / "second.db").rename(database)  # a restore puts another file in place
        assert probe.revision() == "second"
    finally:
        probe.close()


def test_the_probe_sees_the_first_migration_without_a_new_file(tmp_path: Path) -> None:
    database = tmp_path / "data.db"
    writer = sqlite.connect(str(database), isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE other (id INTEGER)")
    probe = DatabaseProbe(database)
    try:
        assert probe.revision() is None  # not migrated yet
        with writer:
            writer.execute("CREATE TABLE alembic_version (version_num TEXT)")
            writer.execute("INSERT INTO alembic_version VALUES ('0001')")
        assert probe.revision() == "0001"
        writer.execute("UPDATE alembic_version SET version_num = '0002'")
        assert probe.revision() == "0002"
    finally:
        probe.close()
        writer.close()
