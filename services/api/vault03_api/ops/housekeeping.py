"""The running API's periodic housekeeping: purged files, dead sessions, share reminders."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine

from vault03_api import clock
from vault03_api.auth.sessions import purge_dead_sessions
from vault03_api.blobs.storage import BlobStore
from vault03_api.db import session_scope
from vault03_api.settings import ApiSettings
from vault03_api.shares.reminders import send_due_reminders
from vault03_api.vaults.maintenance import purge_once

log = logging.getLogger(__name__)


def purge_sessions(engine: Engine, *, idle: timedelta) -> int:
    """Delete the sessions that can no longer be used; returns how many."""
    with session_scope(engine) as session:
        return purge_dead_sessions(session, now=clock.utcnow(), idle=idle)


async def housekeeping_forever(engine: Engine, blobs: BlobStore, *, settings: ApiSettings) -> None:
    """Run every job now and then every `purge_interval_minutes`, for the life of the API."""
    jobs: list[tuple[str, Callable[[], int]]] = [
        (
            "purge of deleted files",
            lambda: purge_once(engine, blobs, retention_days=settings.vault_retention_days),
        ),
        (
            "purge of dead sessions",
            lambda: purge_sessions(engine, idle=timedelta(minutes=settings.session_idle_minutes)),
        ),
        ("share reminders", lambda: send_due_reminders(engine, settings=settings)),
    ]
    while True:
        for name, job in jobs:
            try:
                await asyncio.to_thread(job)
            except Exception:
                log.exception("%s failed; retrying at the next interval", name)
        await asyncio.sleep(settings.purge_interval_minutes * 60)
