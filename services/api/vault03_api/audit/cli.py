"""`vault03 audit ...`: checking the audit log's hash chain."""

from __future__ import annotations

import click

from vault03_api.audit.chain import verify_chain
from vault03_api.db import create_db_engine, read_only_connection
from vault03_api.settings import ApiSettings


@click.group()
def audit() -> None:
    """Inspect the audit log."""


@audit.command("verify")
def verify() -> None:
    """Recompute the hash chain; name the first broken entry and exit 1 if there is one."""
    settings = ApiSettings()
    if not settings.database_path.exists():
        raise click.ClickException(f"no database at {settings.database_path}")
    engine = create_db_engine(settings.database_path)
    try:
        with read_only_connection(engine) as connection:
            report = verify_chain(connection)
    finally:
        engine.dispose()
    if report.ok:
        click.echo(f"audit chain intact: {report.checked} entries verified")
        return
    click.echo(
        f"audit chain BROKEN at entry id {report.broken_id}: {report.reason} "
        f"({report.checked} entries before it verified)",
        err=True,
    )
    raise SystemExit(1)
