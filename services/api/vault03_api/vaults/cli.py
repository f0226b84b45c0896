"""`vault03 files verify` and `vault03 vaults purge`."""

from __future__ import annotations

import click

from vault03_api.blobs.storage import BlobStore
from vault03_api.cli_support import load_key_ring, open_database
from vault03_api.settings import ApiSettings
from vault03_api.vaults.maintenance import purge_once
from vault03_api.vaults.verify import verify_all


@click.group()
def files() -> None:
    """Stored files."""


@files.command("verify")
@click.option("--quiet", is_flag=True, help="Print only the files that fail.")
def verify(quiet: bool) -> None:
    """Read every file back: authenticate each chunk, compare the SHA-256. Exit 1 on failure."""
    settings = ApiSettings()
    engine = open_database(settings)
    ring = load_key_ring(settings)
    counts = {"ok": 0, "missing": 0, "corrupt": 0}
    for verdict in verify_all(engine, ring=ring, blobs=BlobStore(settings.files_dir)):
        counts[verdict.status] += 1
        if verdict.status != "ok":
            click.echo(
                f"{verdict.status.upper()} {verdict.file_id} {verdict.name}: {verdict.detail}"
            )
        elif not quiet:
            click.echo(f"ok {verdict.file_id} {verdict.name}")
    click.echo(
        f"{sum(counts.values())} files: {counts['ok']} ok, {counts['corrupt']} corrupt, "
        f"{counts['missing']} missing"
    )
    if counts["corrupt"] or counts["missing"]:
        raise SystemExit(1)


@click.group()
def vaults() -> None:
    """Vaults."""


@vaults.command("purge")
@click.option("--retention-days", type=int, help="Default: the configured retention.")
def purge(retention_days: int | None) -> None:
    """Remove the blobs of files and vaults deleted longer ago than the retention period."""
    settings = ApiSettings()
    engine = open_database(settings)
    days = settings.vault_retention_days if retention_days is None else retention_days
    removed = purge_once(engine, BlobStore(settings.files_dir), retention_days=days)
    click.echo(f"{removed} files purged (deleted more than {days} days ago)")
