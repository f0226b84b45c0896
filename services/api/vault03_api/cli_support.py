"""What every `vault03` subcommand needs: the database at the current schema, and service
functions run in one transaction audited as done by the CLI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

import click
from sqlalchemy import Engine
from sqlmodel import Session

from vault03_api.audit.context import AuditContext, acting
from vault03_api.audit.recorder import install_audit_hooks
from vault03_api.db import create_db_engine
from vault03_api.errors import AppError
from vault03_api.keyring import KeyRing, KeyRingError
from vault03_api.migrations import upgrade_database
from vault03_api.settings import ApiSettings
from vault03_api.transactions import write_now

P = ParamSpec("P")
T = TypeVar("T")
CLI_CONTEXT = AuditContext(user_id=None, ip=None, user_agent="vault03-cli")


def open_database(settings: ApiSettings) -> Engine:
    """The API's database, brought to the current schema, its changes audited."""
    install_audit_hooks()
    engine = create_db_engine(settings.database_path)
    upgrade_database(
        engine,
        database=settings.database_path,
        backup_dir=settings.backup_dir,
        default_language=settings.language,
    )
    return engine


def load_key_ring(settings: ApiSettings) -> KeyRing:
    """The master keys, or a clear error when the key directory cannot give them."""
    try:
        return KeyRing.load(settings.keys_dir)
    except KeyRingError as error:
        raise click.ClickException(str(error)) from None


def run_command(
    engine: Engine, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run a service function in one transaction, audited as done by the system (the CLI)."""
    with acting(CLI_CONTEXT):
        try:
            return write_now(engine, fn, *args, **kwargs)
        except AppError as error:
            raise click.ClickException(error.message) from None
