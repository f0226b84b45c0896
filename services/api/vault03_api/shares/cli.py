"""`vault03 shares ...`: re-issue every share's link and code (after a key change)."""

from __future__ import annotations

import click

from vault03_api.cli_support import load_key_ring
from vault03_api.settings import ApiSettings
from vault03_api.shares.reissue import reissue_every_share


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
