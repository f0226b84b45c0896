"""`vault03 shares ...`: re-issue every share's link and code (after a key change); send the
reminders that are due now."""

from __future__ import annotations

import click

from vault03_api.audit.context import acting
from vault03_api.cli_support import CLI_CONTEXT, load_key_ring, open_database
from vault03_api.settings import ApiSettings
from vault03_api.shares.reissue import reissue_every_share
from vault03_api.shares.reminders import send_due_reminders


@click.group()
def shares() -> None:
    """Shares of vaults with customers."""


@shares.command("reissue")
@click.option("--all", "every", is_flag=True, required=True, help="Every share still open.")
def reissue(every: bool) -> None:
    """Invalidate every open share's link and code and send new ones the same ways (the
    incident step after `vault03 keys rotate`)."""
    settings = ApiSettings()
    count = reissue_every_share(settings, ring=load_key_ring(settings), echo=click.echo)
    click.echo(f"re-issued {count} share(s); the old links and codes no longer work")


@shares.command("remind")
def remind() -> None:
    """Send the reminders that are due now (the running API does so every
    purge_interval_minutes); a reminder already sent is never sent again."""
    settings = ApiSettings()
    engine = open_database(settings)
    try:
        with acting(CLI_CONTEXT):
            count = send_due_reminders(engine, settings=settings)
    finally:
        engine.dispose()
    click.echo(f"sent {count} reminder(s)")
