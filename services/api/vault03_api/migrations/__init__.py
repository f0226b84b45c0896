"""Alembic migrations, applied at start-up after a consistent copy of the database is taken."""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from vault03_api.db import read_only_connection
from vault03_api.snapshot import snapshot_database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@functools.cache
def head_revision() -> str | None:
    # The code's head cannot change while it runs; reading the scripts (which compiles every
    # migration file) on each health check cost more CPU than the rest of the check.
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with read_only_connection(engine) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _holds_tables(engine: Engine) -> bool:
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar() != 0


def upgrade_database(
    engine: Engine, *, database: Path, backup_dir: Path, default_language: str = "en"
) -> Path | None:
    """Bring the schema to head; returns the pre-migration copy when one was needed.
    `default_language` (the office's) is what rows from before languages are written in."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return None
    copy = None
    if _holds_tables(engine):
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        copy = snapshot_database(database, backup_dir / f"data-{stamp}.db")
        log.info("database copied before migrating", extra={"copy": str(copy)})
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["default_language"] = default_language
        command.upgrade(config, "head")
    log.info("database migrated", extra={"from": current, "to": head})
    return copy
