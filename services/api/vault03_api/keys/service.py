"""Master key life cycle: the start-up check, rotation (resumable), retirement, status."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from vault03_api import clock
from vault03_api.db import session_scope
from vault03_api.keyring import (
    KeyRing,
    KeyRingError,
    ensure_master_key,
    key_path,
    key_versions,
    write_key,
)
from vault03_api.keys.models import KeyRotation, MasterKey
from vault03_api.keys.registry import key_uses, usage_by_version

log = logging.getLogger(__name__)

ROTATION_BATCH = 200


class KeyRefused(Exception):
    """A key operation that would lose data or cannot apply now."""


def _recorded(session: Session) -> dict[int, MasterKey]:
    return {row.version: row for row in session.exec(select(MasterKey))}


def _record(session: Session, ring: KeyRing, *, version: int, keys_dir: Path) -> None:
    """Remember a version's check value, or refuse a key file that is not the one recorded."""
    row = session.get(MasterKey, version)
    if row is None:
        session.add(MasterKey(version=version, check_value=ring.check_value(version)))
    elif row.check_value != ring.check_value(version):
        raise KeyRingError(
            f"{key_path(keys_dir, version)} is not the master key version {version} this "
            "database was written with (its check value differs): restore the right file "
            "from your offline copy"
        )


def check_keys(session: Session, *, keys_dir: Path) -> KeyRing:
    """Make sure the key directory holds every version that data needs, and the right ones.

    Creates the first master key only for a database that needs none: a lost key directory
    must be restored, never silently replaced."""
    usage = usage_by_version(session)
    recorded = _recorded(session)
    if not key_versions(keys_dir):
        needed = sorted(set(usage) | {v for v, row in recorded.items() if row.retired_at is None})
        if needed:
            raise KeyRingError(
                f"the key directory {keys_dir} holds no master key, but the database needs "
                f"version(s) {needed}: restore the key files from your offline copy"
            )
        ensure_master_key(keys_dir)
    ring = KeyRing.load(keys_dir)
    ring.require(set(usage))
    for version in ring.versions:
        _record(session, ring, version=version, keys_dir=keys_dir)
    return ring


def running_rotation(session: Session) -> KeyRotation | None:
    return session.exec(select(KeyRotation).where(KeyRotation.status == "running")).first()


def start_rotation(session: Session, *, keys_dir: Path) -> KeyRotation:
    """The rotation in progress, or a new one towards a version never used before."""
    running = running_rotation(session)
    if running is not None:
        return running
    highest_recorded = session.exec(select(func.max(MasterKey.version))).one() or 0
    target = max([highest_recorded, *key_versions(keys_dir)]) + 1
    rotation = KeyRotation(target_version=target)
    session.add(rotation)
    session.flush()
    return rotation


Progress = Callable[[KeyRotation, int], None]


def rotate(
    engine: Engine,
    *,
    keys_dir: Path,
    batch_size: int = ROTATION_BATCH,
    progress: Progress | None = None,
) -> KeyRotation:
    """Add a master key version and rewrap everything under it, one transaction per batch.

    Interrupted at any point, running it again resumes the same rotation."""
    with session_scope(engine) as session:
        rotation = start_rotation(session, keys_dir=keys_dir)
    target = rotation.target_version
    if target not in key_versions(keys_dir):
        write_key(keys_dir, target)
        log.warning("master key version %d created: store a copy offline now", target)
    ring = KeyRing.load(keys_dir)
    with session_scope(engine) as session:
        _record(session, ring, version=target, keys_dir=keys_dir)
    while True:
        with session_scope(engine) as session:
            moved = sum(use.rewrap(session, ring, target, batch_size) for use in key_uses())
            current = session.get(KeyRotation, rotation.id)
            assert current is not None
            if moved == 0:
                current.status = "done"
                current.finished_at = clock.utcnow()
            current.rewrapped += moved
            current.updated_at = clock.utcnow()
            session.add(current)
        rotation = current
        if progress is not None:
            progress(rotation, moved)
        if moved == 0:
            return rotation


def retire(session: Session, *, keys_dir: Path, version: int) -> MasterKey:
    """Mark `version` retired, refusing while anything still uses it; the caller then
    deletes the key file (after the commit, so a crash leaves the file, never a lost key)."""
    if running_rotation(session) is not None:
        raise KeyRefused("a rotation is in progress: finish it first with `vault03 keys rotate`")
    present = key_versions(keys_dir)
    if version not in present:
        raise KeyRefused(f"master key version {version} is not in {keys_dir}")
    if version == max(present):
        raise KeyRefused(
            f"version {version} is the current master key: run `vault03 keys rotate` first"
        )
    in_use = usage_by_version(session).get(version)
    if in_use:
        what = ", ".join(f"{count} {name}" for name, count in sorted(in_use.items()))
        raise KeyRefused(
            f"master key version {version} still protects {what}: "
            "run `vault03 keys rotate` to move them to the current version"
        )
    row = session.get(MasterKey, version)
    if row is None:
        row = MasterKey(version=version, check_value=KeyRing.load(keys_dir).check_value(version))
    row.retired_at = clock.utcnow()
    session.add(row)
    return row


@dataclass(frozen=True)
class VersionStatus:
    """One line of `vault03 keys status`."""

    version: int
    state: str  # current | active | retired | missing
    created_at: datetime | None
    usage: dict[str, int] = field(default_factory=dict)


def status(session: Session, *, keys_dir: Path) -> list[VersionStatus]:
    """Every version known to the directory or the database, and what each protects."""
    usage = usage_by_version(session)
    recorded = _recorded(session)
    present = set(key_versions(keys_dir))
    current = max(present) if present else None
    names = [use.name for use in key_uses()]
    lines = []
    for version in sorted(present | set(recorded) | set(usage)):
        row = recorded.get(version)
        if version not in present:
            state = "retired" if row is not None and row.retired_at is not None else "missing"
        else:
            state = "current" if version == current else "active"
        counts = {name: usage.get(version, {}).get(name, 0) for name in names}
        lines.append(VersionStatus(version, state, row.created_at if row else None, counts))
    return lines
