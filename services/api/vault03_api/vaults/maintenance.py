"""Blob housekeeping: the start-up orphan sweep and the purge of deleted files."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Engine

from vault03_api import clock
from vault03_api.blobs.storage import BlobStore
from vault03_api.db import session_scope
from vault03_api.vaults.service import known_file_ids, purge_deleted

log = logging.getLogger(__name__)


def sweep_orphans(engine: Engine, blobs: BlobStore) -> int:
    """Remove partial uploads and blobs without a row (left by a crash); start-up only."""

    def listed(ids: object) -> set[str]:
        with session_scope(engine) as session:
            return known_file_ids(session, file_ids=list(ids))  # type: ignore[call-overload]

    removed = blobs.sweep(listed=listed)
    if removed:
        log.warning("removed blobs left by an interrupted upload", extra={"count": removed})
    return removed


def purge_once(engine: Engine, blobs: BlobStore, *, retention_days: int) -> int:
    """Delete files deleted more than `retention_days` ago, rows first, then their blobs."""
    now = clock.utcnow()
    with session_scope(engine) as session:
        file_ids = purge_deleted(session, before=now - timedelta(days=retention_days), now=now)
    # After the commit: a crash here leaves orphan blobs, which the start-up sweep removes.
    for file_id in file_ids:
        blobs.remove(file_id)
    if file_ids:
        log.info("purged deleted files", extra={"count": len(file_ids)})
    return len(file_ids)
