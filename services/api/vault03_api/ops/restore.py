"""Restore a local backup: the database copy, and from an archive the files (and config).

Nothing in place is touched until the backup has been unpacked beside it and its database has
passed `PRAGMA integrity_check`. What was in place is moved aside, not deleted, so a restore
can itself be undone; the operator deletes it once the service works again.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from vault03_api.ops.backup import (
    ARCHIVE_ROOT,
    ARCHIVE_SUFFIX,
    DIR_MODE,
    archive_path,
    backup_stamp,
    database_copy_path,
)
from vault03_api.snapshot import FILE_MODE, integrity_problems

# The guide's `chmod -R 750 .../files`: every directory and file under the files directory.
FILES_MODE = DIR_MODE


class RestoreError(Exception):
    """The backup is missing, unreadable or unsound; nothing in place was changed."""


@dataclass(frozen=True)
class RestoreTarget:
    """Where the live installation keeps what a backup restores."""

    database: Path
    files_dir: Path
    config_file: Path | None


@dataclass(frozen=True)
class RestoreSource:
    """A database copy alone, or a full archive (database, files, config)."""

    path: Path
    is_archive: bool


@dataclass
class RestoreReport:
    source: RestoreSource
    moved_aside: Path
    restored: list[str] = field(default_factory=list)
    files: int = 0


def find_backup(root: Path, name: str) -> RestoreSource:
    """A backup by path, or by its stamp (YYYY-MM-DD__HH-MM-SS: the archive when kept)."""
    path = Path(name)
    if path.is_file():
        return RestoreSource(path, is_archive=path.name.endswith(".tar.gz"))
    for candidate, is_archive in (
        (archive_path(root, name), True),
        (database_copy_path(root, name), False),
    ):
        if candidate.is_file():
            return RestoreSource(candidate, is_archive)
    raise RestoreError(
        f"no backup {name!r}: give a file, or a stamp listed by `vault03 backup --list`"
    )


def list_backups(root: Path) -> Iterator[Path]:
    """Every kept database copy and archive, oldest first."""
    yield from sorted((root / "db").glob("*_data.db"))
    yield from sorted(root.glob(f"*{ARCHIVE_SUFFIX}"))


def restore_backup(
    *, source: RestoreSource, target: RestoreTarget, moment: datetime, with_config: bool
) -> RestoreReport:
    """Unpack and check the backup beside the live data, then swap it in."""
    data_dir = target.database.parent
    stamp = backup_stamp(moment)
    staging = data_dir / f".restore-{stamp}"
    staging.mkdir(parents=True)
    try:
        staged = _stage(source, staging)
        problems = integrity_problems(staged.database)
        if problems:
            raise RestoreError(f"{source.path} holds an unsound database: {problems[:5]}")
        if with_config and staged.config is None:
            raise RestoreError(f"{source.path} holds no config.yaml")
        aside = data_dir / f".pre-restore-{stamp}"
        aside.mkdir(mode=0o700)
        report = RestoreReport(source=source, moved_aside=aside)
        _swap_database(staged.database, target.database, aside)
        report.restored.append(str(target.database))
        if staged.files is not None:
            report.files = _swap_files(staged.files, target.files_dir, aside)
            report.restored.append(str(target.files_dir))
        if with_config and staged.config is not None and target.config_file is not None:
            _swap_config(staged.config, target.config_file, aside)
            report.restored.append(str(target.config_file))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _fix_ownership(target, owner_of=data_dir)
    problems = integrity_problems(target.database)
    if problems:
        raise RestoreError(f"restored database failed its integrity check: {problems[:5]}")
    return report


@dataclass(frozen=True)
class _Staged:
    database: Path
    files: Path | None
    config: Path | None


def _stage(source: RestoreSource, staging: Path) -> _Staged:
    if not source.is_archive:
        database = staging / "data.db"
        shutil.copyfile(source.path, database)
        return _Staged(database, None, None)
    try:
        with tarfile.open(source.path, "r:gz") as archive:
            members = archive.getmembers()
            strays = [m.name for m in members if not _inside_root(m.name)]
            if strays:
                raise RestoreError(
                    f"{source.path} has entries outside {ARCHIVE_ROOT}/: {strays[:3]}"
                )
            # A backup holds only files and directories. Refusing every other kind (links,
            # devices) keeps extraction inside staging even on a Python whose tarfile has no
            # extraction filters (Debian 12's 3.11.2).
            odd = [m.name for m in members if not (m.isfile() or m.isdir())]
            if odd:
                raise RestoreError(f"{source.path} has entries that are not files: {odd[:3]}")
            for member in members:
                member.mode &= 0o777  # no setuid/setgid/sticky bits from an archive
            archive.extractall(staging, members=members)  # noqa: S202 (members checked above)
    except (tarfile.TarError, OSError) as exc:
        raise RestoreError(f"{source.path} cannot be unpacked: {exc}") from exc
    root = staging / ARCHIVE_ROOT
    database = root / "data" / "data.db"
    if not database.is_file():
        raise RestoreError(f"{source.path} holds no {ARCHIVE_ROOT}/data/data.db")
    files = root / "data" / "files"
    if not files.is_dir():
        files.mkdir()
    config = root / "config.yaml"
    return _Staged(database, files, config if config.is_file() else None)


def _inside_root(name: str) -> bool:
    return name == ARCHIVE_ROOT or name.startswith(f"{ARCHIVE_ROOT}/")


def _swap_database(staged: Path, database: Path, aside: Path) -> None:
    # The old -wal and -shm must go with the old database: SQLite would otherwise replay a
    # stale WAL into the restored file.
    for suffix in ("", "-wal", "-shm", "-journal"):
        current = database.with_name(database.name + suffix)
        if current.exists():
            os.replace(current, aside / current.name)
    os.replace(staged, database)
    os.chmod(database, FILE_MODE)


def _swap_files(staged: Path, files_dir: Path, aside: Path) -> int:
    if files_dir.exists():
        os.replace(files_dir, aside / files_dir.name)
    os.replace(staged, files_dir)
    count = 0
    os.chmod(files_dir, FILES_MODE)
    for directory, dirnames, filenames in os.walk(files_dir):
        for name in dirnames + filenames:
            os.chmod(os.path.join(directory, name), FILES_MODE, follow_symlinks=False)
        count += len(filenames)
    return count


def _swap_config(staged: Path, config_file: Path, aside: Path) -> None:
    if config_file.exists():
        shutil.copy2(config_file, aside / config_file.name)
    shutil.copyfile(staged, config_file)
    os.chmod(config_file, FILE_MODE)


def _fix_ownership(target: RestoreTarget, *, owner_of: Path) -> None:
    """As root, give what was restored to the data directory's owner (the guide's chown)."""
    if os.geteuid() != 0:
        return  # a non-root restore already wrote everything as the service user
    stat = owner_of.stat()
    paths = [target.database, target.files_dir]
    for path in paths:
        if path.exists():
            os.chown(path, stat.st_uid, stat.st_gid, follow_symlinks=False)
    for directory, dirnames, filenames in os.walk(target.files_dir):
        for name in dirnames + filenames:
            os.chown(os.path.join(directory, name), stat.st_uid, stat.st_gid, follow_symlinks=False)
