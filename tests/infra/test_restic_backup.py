"""The off-site backup script (infra/backup/vault03-backup) against a local restic repository."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support import NatsServer
from tests.support.api_process import ApiProcess, api_environment
from tests.support.installation import Installation, add_deliveries, count_rows, file_hashes
from tests.support.tools import require_tool
from tests.support.webhook import AlertReceiver
from vault03_api.snapshot import snapshot_database

INFRA = Path(__file__).parents[2] / "infra"
SCRIPT = INFRA / "backup" / "vault03-backup"
SECRET = "alert-shared-secret-for-tests"


@dataclass
class Setup:
    env: dict[str, str]
    repository: Path
    password_file: Path
    log: Path
    snapshot: Path

    def restic(self, *args: str) -> subprocess.CompletedProcess[str]:
        """restic as the guide runs it: RESTIC_REPOSITORY=... RESTIC_PASSWORD_FILE=... restic."""
        env = {
            "PATH": os.environ["PATH"],
            "HOME": self.env["HOME"],
            "TZ": "UTC",
            "RESTIC_REPOSITORY": str(self.repository),
            "RESTIC_PASSWORD_FILE": str(self.password_file),
        }
        result = subprocess.run(["restic", *args], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result

    def run(self, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT)], env={**self.env, **extra}, capture_output=True, text=True
        )


@pytest.fixture
def setup(installation: Installation, tmp_path: Path) -> Setup:
    require_tool("restic")
    require_tool("sqlite3")
    etc = tmp_path / "etc" / "vault03"
    etc.mkdir(parents=True)
    repository = tmp_path / "backups" / "restic"
    password_file = etc / "restic-password"
    password_file.write_text("correct horse battery staple\n")
    password_file.chmod(0o600)
    # The guide's snapshot path, /tmp/vault03-db-snapshot.db, inside the test's own tree.
    snapshot = tmp_path / "tmp" / "vault03-db-snapshot.db"
    snapshot.parent.mkdir()
    env_file = etc / "restic.env"
    env_file.write_text(
        f"RESTIC_REPOSITORY={repository}\n"
        f"VAULT03_DATA_DIR={installation.data_dir}\n"
        f"VAULT03_CONFIG_FILE={installation.config}\n"
        f"VAULT03_BACKUP_MARKER={installation.backup_dir}/last-success-offsite\n"
        f"VAULT03_DB_SNAPSHOT={snapshot}\n"
        f"VAULT03_BACKUP_LOCK={tmp_path}/vault03-backup.lock\n"
    )
    env = api_environment(installation.root, nats_url="nats://127.0.0.1:1", port=1)
    env.update(
        {
            "HOME": str(tmp_path / "home"),  # restic's cache
            "TZ": "UTC",
            "VAULT03_RESTIC_ENV_FILE": str(env_file),
            "VAULT03_RESTIC_PASSWORD_FILE": str(password_file),
            "VAULT03_BACKUP_LOG": str(tmp_path / "vault03-backup.log"),
            "VAULT03_CHECK_WEEKDAY": "0",  # no weekly check unless a test asks for it
            # vault03-alert as installed beside the script, without the host's alert.env.
            "PATH": f"{INFRA / 'scripts'}{os.pathsep}{env['PATH']}",
            "VAULT03_ALERT_ENV_FILE": str(tmp_path / "no-alert.env"),
        }
    )
    result = Setup(env, repository, password_file, tmp_path / "vault03-backup.log", snapshot)
    result.restic("init")
    return result


@pytest.mark.fleet
def test_backup_then_restore_with_the_guides_commands(
    installation: Installation, setup: Setup, nats_server: NatsServer, tmp_path: Path
) -> None:
    hashes = file_hashes(installation.files_dir)
    # The API runs during the backup, as at 03:00 in production: the snapshot is online.
    api = ApiProcess(installation.root, nats_url=nats_server.url)
    api.start()
    try:
        add_deliveries(installation.database, 5, text="just before the backup")
        result = setup.run(VAULT03_CHECK_WEEKDAY=datetime.now(UTC).strftime("%u"))
    finally:
        api.stop()
    assert result.returncode == 0, result.stderr + setup.log.read_text()
    log = setup.log.read_text()
    assert "backup finished" in log and "check passed (read-data-subset" in log
    assert not setup.snapshot.exists()  # the plain copy does not linger in /tmp
    marker = installation.backup_dir / "last-success-offsite"
    assert abs(int(marker.read_text()) - datetime.now(UTC).timestamp()) < 3600

    snapshots = json.loads(setup.restic("snapshots", "--json").stdout)
    assert len(snapshots) == 1
    assert set(snapshots[0]["paths"]) == {
        str(setup.snapshot),
        str(installation.files_dir),
        str(installation.config),
    }
    assert "vault03 " not in setup.restic("snapshots").stdout.splitlines()[0]
    setup.restic("check")
    setup.restic("stats")

    # Disaster: everything lost. Then the guide's restore, step by step.
    subprocess.run(["rm", "-rf", str(installation.data_dir), str(installation.config)], check=True)
    installation.files_dir.mkdir(parents=True)
    restore = tmp_path / "restore"
    setup.restic("restore", snapshots[0]["short_id"], "--target", str(restore))
    inside = restore / str(setup.snapshot).lstrip("/")
    subprocess.run(["cp", str(inside), str(installation.database)], check=True)
    # The guide's own glob, so through a shell.
    subprocess.run(  # noqa: S602
        f"cp -r {restore}{installation.files_dir}/* {installation.files_dir}/",
        shell=True,
        check=True,
    )
    subprocess.run(["cp", f"{restore}{installation.config}", str(installation.config)], check=True)
    assert count_rows(installation.database) == 30
    assert file_hashes(installation.files_dir) == hashes
    assert "public_url" in installation.config.read_text()
    # The key directory was never part of it.
    key = installation.key_bytes()
    for path in restore.rglob("*"):
        assert not path.is_file() or key not in path.read_bytes()


# Chosen so that each rule of --keep-daily 7 --keep-weekly 4 --keep-monthly 6 --keep-yearly 2
# has exactly its count to keep, and some snapshots fall outside all of them.
TIMES = [
    "2024-06-01 03:00:00",  # third year back: beyond --keep-yearly 2
    "2025-09-03 03:00:00",  # seventh month back: beyond --keep-monthly 6
    "2025-10-01 03:00:00",  # monthly
    "2025-11-05 03:00:00",  # monthly
    "2025-12-10 03:00:00",  # monthly, yearly (last of 2025)
    "2026-01-20 03:00:00",  # monthly
    "2026-02-11 03:00:00",  # week 7: beyond --keep-weekly 4, not last of February
    "2026-02-18 03:00:00",  # weekly (week 8)
    "2026-02-24 03:00:00",  # week 9 but not its last
    "2026-02-25 03:00:00",  # weekly (week 9), monthly (last of February)
    "2026-03-06 03:00:00",  # week 10, older than the last 7 days
    "2026-03-07 03:00:00",  # week 10, older than the last 7 days
    "2026-03-08 03:00:00",  # weekly (week 10: last of it)
    *[f"2026-03-{day:02d} 03:00:00" for day in range(9, 16)],  # daily x7; the 15th is all four
]
KEPT = {
    "2025-10-01",
    "2025-11-05",
    "2025-12-10",
    "2026-01-20",
    "2026-02-18",
    "2026-02-25",
    "2026-03-08",
    *[f"2026-03-{day:02d}" for day in range(9, 16)],
}


def test_retention_keeps_7_daily_4_weekly_6_monthly_2_yearly(
    setup: Setup, installation: Installation, tmp_path: Path
) -> None:
    # One snapshot taken up front and streamed by `cat` each time: the retention is under
    # test here, not the snapshot (that is the test above), and Python's start-up is slow.
    copy = snapshot_database(installation.database, tmp_path / "copy.db")
    for moment in TIMES:
        result = setup.run(VAULT03_BACKUP_TIME=moment, VAULT03_SNAPSHOT_COMMAND=f"cat {copy}")
        assert result.returncode == 0, result.stderr + setup.log.read_text()
    remaining = json.loads(setup.restic("snapshots", "--json").stdout)
    assert {snapshot["time"][:10] for snapshot in remaining} == KEPT
    # The kept set is the policy's fixed point, and each rule holds exactly its count.
    plan = json.loads(
        setup.restic(
            "forget", "--dry-run", "--json", "--tag", "vault03",
            "--keep-daily", "7", "--keep-weekly", "4", "--keep-monthly", "6", "--keep-yearly", "2",
        ).stdout
    )  # fmt: skip
    assert len(plan) == 1 and not plan[0]["remove"]
    reasons = [match for kept in plan[0]["reasons"] for match in kept["matches"]]
    assert {rule: reasons.count(rule) for rule in set(reasons)} == {
        "daily snapshot": 7,
        "weekly snapshot": 4,
        "monthly snapshot": 6,
        "yearly snapshot": 2,
    }


def test_a_failed_backup_exits_non_zero_and_alerts_the_notifier(setup: Setup) -> None:
    setup.password_file.write_text("wrong password\n")
    with AlertReceiver(SECRET) as receiver:
        result = setup.run(VAULT03_ALERT_URL=receiver.url, VAULT03_ALERT_SECRET=SECRET)
    assert result.returncode != 0
    assert "failed during 'restic backup'" in result.stderr
    assert receiver.refused == []
    [alert] = receiver.accepted
    assert alert["version"] == "4" and alert["status"] == "firing"
    [firing] = alert["alerts"]
    assert firing["labels"]["alertname"] == "VaultBackupFailed"
    assert firing["labels"]["severity"] == "critical"
    assert "restic backup" in firing["annotations"]["description"]
    assert datetime.fromisoformat(firing["startsAt"]).tzinfo is not None
    assert "FAILED during 'restic backup'" in setup.log.read_text()
    assert not (Path(setup.env["VAULT03_API_BACKUP_DIR"]) / "last-success-offsite").exists()


def test_an_unsound_snapshot_is_never_backed_up(setup: Setup) -> None:
    with AlertReceiver(SECRET) as receiver:
        result = setup.run(
            VAULT03_SNAPSHOT_COMMAND="head -c 8192 /dev/urandom",
            VAULT03_ALERT_URL=receiver.url,
            VAULT03_ALERT_SECRET=SECRET,
        )
    assert result.returncode != 0
    assert "snapshot integrity check" in result.stderr
    assert len(receiver.accepted) == 1
    assert json.loads(setup.restic("snapshots", "--json").stdout) == []
