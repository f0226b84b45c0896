"""`vault03 backup`, `vault03 restore` and `vault03 db ...`: the guide's maintenance commands."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click

from vault03_api import clock
from vault03_api.ops.backup import BackupSources, create_backup
from vault03_api.ops.database import analyze, database_size, vacuum
from vault03_api.ops.lock import DataDirBusy, DataDirLock
from vault03_api.ops.restore import (
    RestoreError,
    RestoreTarget,
    find_backup,
    list_backups,
    restore_backup,
)
from vault03_api.settings import ApiSettings
from vault03_api.snapshot import BackupError, integrity_problems, snapshot_database

START_HINT = (
    "Start the service again:\n"
    "  docker compose start api      (compose deployment)\n"
    "  sudo systemctl start vault03  (host with the systemd unit)"
)


@click.command("backup")
@click.option("--db-only", is_flag=True, help="Only the database copy, no archive of the files.")
@click.option("--list", "list_only", is_flag=True, help="List the kept backups and exit.")
def backup_command(db_only: bool, list_only: bool) -> None:
    """Take a local backup: a checked database copy and an archive of files and config."""
    settings = ApiSettings()
    root = settings.backup_dir
    if list_only:
        for path in list_backups(root):
            click.echo(f"{path}  {path.stat().st_size} bytes")
        return
    sources = BackupSources(
        database=settings.database_path,
        files_dir=settings.files_dir,
        config_file=settings.config_file,
        keys_dir=settings.keys_dir,
    )
    if not sources.database.is_file():
        raise click.ClickException(f"no database at {sources.database}")
    try:
        result = create_backup(
            sources=sources,
            root=root,
            moment=clock.utcnow(),
            keep_databases=settings.backup_keep_databases,
            keep_archives=settings.backup_keep_archives,
            with_files=not db_only,
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"database copy: {result.database_copy} (integrity ok)")
    if result.archive is not None:
        click.echo(f"archive:       {result.archive}")
    for path in result.removed:
        click.echo(f"removed (retention): {path}")
    click.echo(f"the key directory {settings.keys_dir} is not backed up: keep its offline copy")


@click.command("restore")
@click.argument("backup")
@click.option("--force", is_flag=True, help="Restore even while the API is running.")
@click.option("--with-config", is_flag=True, help="Also restore config.yaml from the archive.")
def restore_command(backup: str, force: bool, with_config: bool) -> None:
    """Restore a backup (a file, or a stamp YYYY-MM-DD__HH-MM-SS) with the API stopped."""
    settings = ApiSettings()
    if with_config and settings.config_file is None:
        raise click.UsageError("--with-config needs VAULT03_CONFIG to name the config file")
    try:
        source = find_backup(settings.backup_dir, backup)
        target = RestoreTarget(
            database=settings.database_path,
            files_dir=settings.files_dir,
            config_file=settings.config_file,
        )
        with _data_dir_held(settings, holder="vault03 restore", force=force, action="restore"):
            report = restore_backup(
                source=source, target=target, moment=clock.utcnow(), with_config=with_config
            )
    except (RestoreError, BackupError) as exc:
        raise click.ClickException(f"{exc}; nothing in place was changed") from exc
    click.echo(f"restored from {source.path}:")
    for path in report.restored:
        click.echo(f"  {path}")
    if source.is_archive:
        click.echo(f"  {report.files} files")
    click.echo("integrity check: ok; modes 640 (database) and 750 (files) set")
    click.echo(f"what was in place before is in {report.moved_aside}: delete it once all is well")
    click.echo(START_HINT)


@contextlib.contextmanager
def _data_dir_held(
    settings: ApiSettings, *, holder: str, force: bool, action: str
) -> Iterator[None]:
    """Hold the data directory, or refuse while the API runs (unless forced)."""
    lock = DataDirLock(settings.data_dir)
    try:
        lock.acquire(holder)
    except DataDirBusy as exc:
        if not force:
            raise click.ClickException(
                f"{exc}: stop the API first (docker compose stop api, or "
                f"sudo systemctl stop vault03), or pass --force to {action} anyway"
            ) from exc
        click.echo(f"warning: {exc}; {action} forced", err=True)
        yield
        return
    try:
        yield
    finally:
        lock.release()


@click.group("db")
def db_group() -> None:
    """Database maintenance (the guide's sqlite3 commands)."""


def _database(settings: ApiSettings) -> Path:
    if not settings.database_path.is_file():
        raise click.ClickException(f"no database at {settings.database_path}")
    return settings.database_path


@db_group.command("integrity-check")
def integrity_check_command() -> None:
    """PRAGMA integrity_check: prints ok, or the problems and exits 1."""
    problems = integrity_problems(_database(ApiSettings()))
    if problems:
        for problem in problems:
            click.echo(problem)
        sys.exit(1)
    click.echo("ok")


@db_group.command("vacuum")
@click.option("--force", is_flag=True, help="Vacuum even while the API is running.")
def vacuum_command(force: bool) -> None:
    """VACUUM to reclaim space; refuses while the API runs, as the guide stops it first."""
    settings = ApiSettings()
    database = _database(settings)
    before = database_size(database)
    with _data_dir_held(settings, holder="vault03 db vacuum", force=force, action="vacuum"):
        vacuum(database)
    after = database_size(database)
    click.echo(f"vacuumed: {before.file_bytes} -> {after.file_bytes} bytes")


@db_group.command("analyze")
def analyze_command() -> None:
    """ANALYZE: refresh the query planner's statistics."""
    analyze(_database(ApiSettings()))
    click.echo("analyzed")


@db_group.command("size")
def size_command() -> None:
    """The database's size (the guide's size_mb query), its WAL, and reclaimable pages."""
    database = _database(ApiSettings())
    size = database_size(database)
    click.echo(f"file:     {database} {size.file_bytes} bytes")
    click.echo(f"wal:      {size.wal_bytes} bytes")
    click.echo(f"size_mb:  {size.size_mb:.3f}")
    click.echo(f"free pages (VACUUM reclaims): {size.free_pages}")


@db_group.command("snapshot")
@click.argument("target")
def snapshot_command(target: str) -> None:
    """A checked copy of the live database to TARGET (`-`: to stdout, for off-site backups)."""
    database = _database(ApiSettings())
    try:
        if target != "-":
            click.echo(f"snapshot: {snapshot_database(database, Path(target))} (integrity ok)")
            return
        with tempfile.TemporaryDirectory() as scratch:
            copy = snapshot_database(database, Path(scratch) / "snapshot.db")
            with open(copy, "rb") as handle:
                shutil.copyfileobj(handle, sys.stdout.buffer)
            sys.stdout.buffer.flush()
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
