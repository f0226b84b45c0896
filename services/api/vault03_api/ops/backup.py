"""Local backups: consistent database copies (SQLite's online backup API, never a file copy)
and archives of the files and the configuration. The key directory is never part of either.

Layout under the backup root (the `backup_dir` setting):
    db/YYYY-MM-DD__HH-MM-SS_data.db          the last `backup_keep_databases` copies
    YYYY-MM-DD__HH-MM-SS_vault03.tar.gz      the last `backup_keep_archives` archives
    last-success-local                       Unix time of the last good backup (for alerts)
An archive holds `vault03/data/data.db`, `vault03/data/files/...` and `vault03/config.yaml`.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vault03_api.snapshot import FILE_MODE, BackupError, snapshot_database

STAMP_FORMAT = "%Y-%m-%d__%H-%M-%S"
DB_SUFFIX = "_data.db"
ARCHIVE_SUFFIX = "_vault03.tar.gz"
ARCHIVE_ROOT = "vault03"
MARKER_PREFIX = "last-success-"
DIR_MODE = 0o750


# Decides whether one path goes into an archive (None leaves it out).
_Keep = Callable[[tarfile.TarInfo, Path], tarfile.TarInfo | None]


@dataclass(frozen=True)
class BackupSources:
    """What a backup reads: the live database, the files, the configuration file if any."""

    database: Path
    files_dir: Path
    config_file: Path | None
    keys_dir: Path


@dataclass(frozen=True)
class BackupResult:
    database_copy: Path
    archive: Path | None
    removed: list[Path]


def backup_stamp(moment: datetime) -> str:
    return moment.strftime(STAMP_FORMAT)


def database_copy_path(root: Path, stamp: str) -> Path:
    return root / "db" / f"{stamp}{DB_SUFFIX}"


def archive_path(root: Path, stamp: str) -> Path:
    return root / f"{stamp}{ARCHIVE_SUFFIX}"


def create_backup(
    *,
    sources: BackupSources,
    root: Path,
    moment: datetime,
    keep_databases: int,
    keep_archives: int,
    with_files: bool = True,
) -> BackupResult:
    """Take a database copy and (unless `with_files` is off) a full archive, then prune."""
    stamp = backup_stamp(moment)
    copy = database_copy_path(root, stamp)
    archive = archive_path(root, stamp) if with_files else None
    for existing in (copy, archive):
        if existing is not None and existing.exists():
            raise BackupError(f"{existing} already exists; wait a second and try again")
    for directory in (root, copy.parent):
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, DIR_MODE)
    snapshot_database(sources.database, copy)
    if archive is not None:
        write_archive(archive, database_copy=copy, sources=sources)
    removed = prune(copy.parent, DB_SUFFIX, keep_databases)
    removed += prune(root, ARCHIVE_SUFFIX, keep_archives)
    write_marker(root, "local", moment)
    return BackupResult(database_copy=copy, archive=archive, removed=removed)


def write_archive(target: Path, *, database_copy: Path, sources: BackupSources) -> Path:
    """Write the tarball atomically: database copy, files directory, configuration."""
    keys = sources.keys_dir.resolve()

    def no_keys(member: tarfile.TarInfo, origin: Path) -> tarfile.TarInfo | None:
        resolved = origin.resolve()
        if resolved == keys or keys in resolved.parents:
            return None
        return member

    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    data = f"{ARCHIVE_ROOT}/data"
    with tarfile.open(partial, "w:gz") as archive:
        archive.add(database_copy, arcname=f"{data}/data.db")
        if sources.files_dir.is_dir():
            _add_tree(archive, sources.files_dir, f"{data}/files", no_keys)
        if sources.config_file is not None and sources.config_file.is_file():
            archive.add(sources.config_file, arcname=f"{ARCHIVE_ROOT}/config.yaml")
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    os.chmod(target, FILE_MODE)
    return target


def _add_tree(archive: tarfile.TarFile, top: Path, arcname: str, keep: _Keep) -> None:
    """Add a directory tree member by member, so every path passes the key guard."""
    member = keep(archive.gettarinfo(top, arcname), top)
    if member is None:
        return
    archive.addfile(member)
    for path in sorted(top.iterdir()):
        name = f"{arcname}/{path.name}"
        if path.is_dir() and not path.is_symlink():
            _add_tree(archive, path, name, keep)
            continue
        info = keep(archive.gettarinfo(path, name), path)
        if info is None:
            continue
        if info.isreg():
            with open(path, "rb") as handle:
                archive.addfile(info, handle)
        else:
            archive.addfile(info)


def prune(directory: Path, suffix: str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups ending in `suffix` (names sort by time)."""
    backups = sorted(path for path in directory.glob(f"*{suffix}") if path.is_file())
    doomed = backups[: max(len(backups) - keep, 0)]
    for path in doomed:
        path.unlink()
    return doomed


def write_marker(root: Path, kind: str, moment: datetime) -> Path:
    """Record the time of the last good backup of a kind (`local`, `offsite`) for alerting."""
    root.mkdir(parents=True, exist_ok=True)
    marker = root / f"{MARKER_PREFIX}{kind}"
    partial = marker.with_name(f".{marker.name}.partial")
    partial.write_text(f"{moment.timestamp():.0f}\n")
    os.replace(partial, marker)
    return marker


def read_markers(root: Path) -> dict[str, datetime]:
    """The last good backup time of each kind recorded under `root`."""
    found: dict[str, datetime] = {}
    for marker in root.glob(f"{MARKER_PREFIX}*"):
        kind = marker.name.removeprefix(MARKER_PREFIX)
        try:
            found[kind] = datetime.fromtimestamp(float(marker.read_text().strip()), UTC)
        except (OSError, ValueError):
            continue  # unreadable or half-written: the alert on its age will speak
    return found
