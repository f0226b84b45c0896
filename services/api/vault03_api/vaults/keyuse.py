"""File data keys are wrapped by a master key version: listed in keys/registry.py for rotation
and checks."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from vault03_api.blobs.crypto import rewrap_data_key
from vault03_api.keyring import KeyRing
from vault03_api.keyuse import KeyUse
from vault03_api.vaults.models import StoredFile


def _count_by_version(session: Session) -> dict[int, int]:
    rows = session.exec(
        select(StoredFile.key_version, func.count()).group_by(col(StoredFile.key_version))
    )
    return {int(version): int(count) for version, count in rows}


def _rewrap(session: Session, ring: KeyRing, target: int, limit: int) -> int:
    batch = session.exec(
        select(StoredFile).where(StoredFile.key_version != target).limit(limit)
    ).all()
    for stored in batch:
        stored.wrapped_key = rewrap_data_key(
            ring,
            stored.wrapped_key,
            file_id=stored.id,
            version=stored.key_version,
            new_version=target,
        )
        stored.key_version = target
        session.add(stored)
    session.flush()
    return len(batch)


FILE_DATA_KEYS = KeyUse(name="file data keys", count_by_version=_count_by_version, rewrap=_rewrap)
