from __future__ import annotations

import gzip
import tarfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.installation import Installation, add_deliveries, count_rows, file_hashes
from vault03_api import clock
from vault03_api.cli import main
from vault03_api.ops.backup import read_markers
from vault03_api.snapshot import snapshot_database

MOMENT = datetime(2026, 3, 1, 3, 0, 0, tzinfo=UTC)


def run_backup(monkeypatch: pytest.MonkeyPatch, moment: datetime, *args: str) -> str:
    monkeypatch.setattr(clock, "utcnow", lambda: moment)
    result = CliRunner().invoke(main, ["backup", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_backup_takes_a_checked_copy_and_an_archive(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = run_backup(monkeypatch, MOMENT)
    copy = installation.backup_dir / "db" / "2026-03-01__03-00-00_data.db"
    archive = installation.backup_dir / "2026-03-01__03-00-00_vault03.tar.gz"
    assert f"database copy: {copy} (integrity ok)" in output
    assert count_rows(copy) == 25
    assert not copy.with_name(copy.name + "-wal").exists()  # one self-contained file
    assert copy.stat().st_mode & 0o777 == 0o640
    assert archive.stat().st_mode & 0o777 == 0o640
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        assert {"vault03/data/data.db", "vault03/config.yaml"} <= names
        assert "vault03/data/files/vault-a/report.bin" in names
        assert "vault03/data/files/vault-b/empty" in names
        assert not any("keys" in name or name.endswith(".lock") for name in names)
        config = tar.extractfile("vault03/config.yaml")
        assert config is not None and config.read() == installation.config.read_bytes()
    extracted = installation.root.parent / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(extracted, filter="data")
    assert file_hashes(extracted / "vault03" / "data" / "files") == file_hashes(
        installation.files_dir
    )
    assert count_rows(extracted / "vault03" / "data" / "data.db") == 25
    assert read_markers(installation.backup_dir) == {"local": MOMENT}


def test_no_key_bytes_end_up_in_any_backup(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even a key directory misplaced inside the files directory stays out of the archive.
    misplaced = installation.files_dir / "keys"
    monkeypatch.setenv("VAULT03_API_KEYS_DIR", str(misplaced))
    from vault03_api.keyring import ensure_master_key, key_path

    ensure_master_key(misplaced)
    secrets = [installation.key_bytes(), key_path(misplaced, 1).read_bytes()]
    run_backup(monkeypatch, MOMENT)
    run_backup(monkeypatch, MOMENT + timedelta(hours=1), "--db-only")
    produced = [p for p in installation.backup_dir.rglob("*") if p.is_file()]
    names = {p.name for p in produced}
    assert {"2026-03-01__03-00-00_vault03.tar.gz", "2026-03-01__04-00-00_data.db"} <= names
    for path in produced:
        content = path.read_bytes()
        if path.name.endswith(".tar.gz"):
            content = gzip.decompress(content)
            with tarfile.open(path) as tar:
                assert not [n for n in tar.getnames() if n.startswith("vault03/data/files/keys")]
        for secret in secrets:
            assert secret not in content, f"key bytes found in {path}"


def test_retention_keeps_the_last_30_copies_and_10_archives(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    moments = [MOMENT + timedelta(hours=hour) for hour in range(34)]
    for moment in moments:
        run_backup(monkeypatch, moment)
    copies = sorted(p.name for p in (installation.backup_dir / "db").iterdir())
    archives = sorted(p.name for p in installation.backup_dir.glob("*.tar.gz"))
    stamps = [m.strftime("%Y-%m-%d__%H-%M-%S") for m in moments]
    assert copies == [f"{s}_data.db" for s in stamps[-30:]]
    assert archives == [f"{s}_vault03.tar.gz" for s in stamps[-10:]]


def test_backup_of_the_same_second_is_refused(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_backup(monkeypatch, MOMENT)
    result = CliRunner().invoke(main, ["backup"])
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_list_shows_kept_backups(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_backup(monkeypatch, MOMENT)
    output = run_backup(monkeypatch, MOMENT, "--list")
    assert "db/2026-03-01__03-00-00_data.db" in output
    assert "2026-03-01__03-00-00_vault03.tar.gz" in output


def test_snapshot_is_consistent_while_the_database_is_written(
    installation: Installation, tmp_path: Path
) -> None:
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            add_deliveries(installation.database, 20, text="concurrent")

    writer = threading.Thread(target=write)
    writer.start()
    try:
        copies = [
            snapshot_database(installation.database, tmp_path / f"copy-{n}.db") for n in range(5)
        ]
    finally:
        stop.set()
        writer.join()
    counts = [count_rows(copy) for copy in copies]
    assert all((count - 25) % 20 == 0 for count in counts), counts  # whole transactions only
    assert counts == sorted(counts)
    assert count_rows(installation.database) >= counts[-1]
