from __future__ import annotations

import os
import subprocess
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.api.ops.test_backup import run_backup
from tests.support import NatsServer
from tests.support.api_process import VAULT03, ApiProcess
from tests.support.installation import Installation, add_deliveries, count_rows, file_hashes
from vault03_api import clock
from vault03_api.cli import main
from vault03_api.ops.backup import ARCHIVE_ROOT

MOMENT = datetime(2026, 3, 1, 3, 0, 0, tzinfo=UTC)
STAMP = "2026-03-01__03-00-00"
LATER = MOMENT + timedelta(days=1)


def damage(installation: Installation) -> None:
    """What a bad deployment does: rows added, a file changed, one deleted, one added."""
    add_deliveries(installation.database, 7, text="after the backup")
    (installation.files_dir / "vault-a" / "report.bin").write_bytes(b"overwritten")
    (installation.files_dir / "vault-b" / "sub" / "note.txt").unlink()
    (installation.files_dir / "stray.txt").write_text("new")
    installation.config.write_text("public_url: https://changed.example.org\n")


def restore(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(clock, "utcnow", lambda: LATER)
    result = CliRunner().invoke(main, ["restore", *args])
    return result.exit_code, result.output


def modes(directory: Path) -> set[int]:
    return {path.stat().st_mode & 0o777 for path in [directory, *directory.rglob("*")]}


def test_restore_of_an_archive_brings_back_database_and_files(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = file_hashes(installation.files_dir)
    run_backup(monkeypatch, MOMENT)
    damage(installation)
    code, output = restore(monkeypatch, STAMP)
    assert code == 0, output
    assert count_rows(installation.database) == 25
    assert file_hashes(installation.files_dir) == hashes
    assert installation.database.stat().st_mode & 0o777 == 0o640
    assert modes(installation.files_dir) == {0o750}
    # No stale WAL of the replaced database is left to be replayed into the restored one.
    assert not installation.database.with_name("data.db-wal").exists()
    aside = installation.data_dir / ".pre-restore-2026-03-02__03-00-00"
    assert count_rows(aside / "data.db") == 32
    assert (aside / "files" / "stray.txt").read_text() == "new"
    assert "integrity check: ok" in output
    assert "docker compose start api" in output
    assert str(aside) in output
    # config.yaml is preserved unless asked for, as the guide's deployments do.
    assert "changed.example.org" in installation.config.read_text()
    assert not list(installation.data_dir.glob(".restore-*"))


def test_restore_with_config_also_restores_config_yaml(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = installation.config.read_text()
    run_backup(monkeypatch, MOMENT)
    damage(installation)
    code, output = restore(monkeypatch, STAMP, "--with-config")
    assert code == 0, output
    assert installation.config.read_text() == original


def test_restore_of_a_database_copy_leaves_the_files_alone(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_backup(monkeypatch, MOMENT, "--db-only")
    damage(installation)
    after_damage = file_hashes(installation.files_dir)
    copy = installation.backup_dir / "db" / f"{STAMP}_data.db"
    code, output = restore(monkeypatch, str(copy))
    assert code == 0, output
    assert count_rows(installation.database) == 25
    assert file_hashes(installation.files_dir) == after_damage


def test_an_unsound_backup_is_refused_and_nothing_changes(
    installation: Installation, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.db"
    content = bytearray((installation.backup_dir.parent / "data" / "data.db").read_bytes())
    broken.write_bytes(b"SQLite format 3\x00" + bytes(content[16:100]) + os.urandom(8192))
    before = installation.database.read_bytes()
    code, output = restore(monkeypatch, str(broken))
    assert code == 1
    assert "unsound database" in output and "nothing in place was changed" in output
    assert installation.database.read_bytes() == before
    assert not list(installation.data_dir.glob(".pre-restore-*"))


def test_an_unknown_backup_is_named(installation: Installation, monkeypatch: pytest.MonkeyPatch):
    code, output = restore(monkeypatch, "2020-01-01__00-00-00")
    assert code == 1
    assert "no backup '2020-01-01__00-00-00'" in output


@pytest.mark.skipif(os.geteuid() != 0, reason="changing ownership needs root")
def test_restore_as_root_gives_everything_to_the_data_directory_owner(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_backup(monkeypatch, MOMENT)
    os.chown(installation.data_dir, 4321, 4322)
    code, output = restore(monkeypatch, STAMP)
    assert code == 0, output
    owned = [installation.database, installation.files_dir, *installation.files_dir.rglob("*")]
    assert {(p.stat().st_uid, p.stat().st_gid) for p in owned} == {(4321, 4322)}


def test_the_guides_manual_restore_commands_work_on_our_archives(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = file_hashes(installation.files_dir)
    run_backup(monkeypatch, MOMENT)
    damage(installation)
    archive = installation.backup_dir / f"{STAMP}_vault03.tar.gz"
    copy = installation.backup_dir / "db" / f"{STAMP}_data.db"
    # sudo cp /apps/_backups/db/YYYY-MM-DD__HH-MM-SS_data.db /apps/vault03/data/data.db
    for stale in ("data.db-wal", "data.db-shm"):
        installation.data_dir.joinpath(stale).unlink(missing_ok=True)
    subprocess.run(["cp", str(copy), str(installation.database)], check=True)
    assert count_rows(installation.database) == 25
    # sudo tar -xzf /apps/_backups/YYYY-MM-DD__HH-MM-SS_vault03.tar.gz -C /apps
    subprocess.run(["rm", "-rf", str(installation.files_dir)], check=True)
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(installation.root.parent)], check=True)
    subprocess.run(["chmod", "-R", "750", str(installation.files_dir)], check=True)
    assert file_hashes(installation.files_dir) == hashes
    assert count_rows(installation.database) == 25


@pytest.mark.fleet
def test_restore_refuses_while_a_real_api_runs(
    installation: Installation,
    monkeypatch: pytest.MonkeyPatch,
    nats_server: NatsServer,
    tmp_path: Path,
) -> None:
    run_backup(monkeypatch, MOMENT)
    api = ApiProcess(installation.root, nats_url=nats_server.url)
    api.env["VAULT03_API_DATA_DIR"] = str(installation.data_dir)
    api.start()
    try:
        add_deliveries(installation.database, 3, text="while running")
        before = count_rows(installation.database)
        result = subprocess.run(
            [VAULT03, "restore", STAMP], env=api.env, capture_output=True, text=True
        )
        assert result.returncode == 1
        assert f"in use by api pid {api.process.pid}" in result.stderr  # type: ignore[union-attr]
        assert "stop the API first" in result.stderr
        assert count_rows(installation.database) == before
        vacuum = subprocess.run(
            [VAULT03, "db", "vacuum"], env=api.env, capture_output=True, text=True
        )
        assert vacuum.returncode == 1 and "stop the API first" in vacuum.stderr
    finally:
        api.stop()
    result = subprocess.run(
        [VAULT03, "restore", STAMP], env=api.env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert count_rows(installation.database) == 25
    api.start()  # the restored database opens, migrates (nothing to do) and serves
    api.stop()


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_an_archive_with_links_is_refused_and_nothing_changes(
    installation: Installation, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: bytes
) -> None:
    # A link inside the archive's root could point anywhere on extraction; our backups never
    # hold one, and the refusal must not depend on the Python's tarfile extraction filters.
    forged = tmp_path / "forged.tar.gz"
    with tarfile.open(forged, "w:gz") as archive:
        link = tarfile.TarInfo(f"{ARCHIVE_ROOT}/data/data.db")
        link.type = kind
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    before = installation.database.read_bytes()
    code, output = restore(monkeypatch, str(forged))
    assert code == 1
    assert "not files" in output and "nothing in place was changed" in output
    assert installation.database.read_bytes() == before
