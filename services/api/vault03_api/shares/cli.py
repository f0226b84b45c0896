"""`vault03 shares ...`: re-issue every share's link and code (after a key change)."""

from __future__ import annotations

import click

from vault03_api.audit.context import acting
from vault03_api.auth.passwords import make_hasher
from vault03_api.settings import ApiSettings
from vault03_api.shares import service
from vault03_api.shares.models import Share
from vault03_api.users.cli import CLI_CONTEXT, open_database


@click.group()
def shares() -> None:
    """Shares of vaults with customers."""


def reissue_every_share(settings: ApiSettings) -> int:
    """New link and code for every share still open, sent through its channels (audited as
    the CLI); returns how many."""
    engine = open_database(settings)
    hasher = make_hasher(settings)

    def progress(share: Share) -> None:
        click.echo(
            f"share {share.id}: new link to {share.recipient_email}, code by {share.code_channel}"
        )

    try:
        with acting(CLI_CONTEXT):
            return service.reissue_all(
                engine, settings=settings, hash_code=hasher.hash, progress=progress
            )
    finally:
        engine.dispose()


@shares.command("reissue")
@click.option("--all", "every", is_flag=True, required=True, help="Every share still open.")
def reissue(every: bool) -> None:
    """Invalidate every open share's link and code and send new ones the same ways (the
    incident step after `vault03 keys rotate`)."""
    count = reissue_every_share(ApiSettings())
    click.echo(f"re-issued {count} share(s); the old links and codes no longer work")
