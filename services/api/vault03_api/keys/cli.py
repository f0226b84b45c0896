"""`vault03 keys rotate|retire|status`: the master key life cycle."""

from __future__ import annotations

import click

from vault03_api.audit.context import acting
from vault03_api.blobs.crypto import IntegrityError
from vault03_api.cli_support import CLI_CONTEXT, load_key_ring, open_database
from vault03_api.db import session_scope
from vault03_api.keyring import (
    KeyRingError,
    ensure_master_key,
    key_path,
    key_versions,
    remove_key,
)
from vault03_api.keys import service
from vault03_api.keys.models import KeyRotation
from vault03_api.settings import ApiSettings
from vault03_api.shares.reissue import reissue_every_share


@click.group()
def keys() -> None:
    """Master keys (KEK): rotate, retire, status. Keys live in the key directory only."""


@keys.command("init")
def init() -> None:
    """Create the first master key when the key directory holds none."""
    keys_dir = ApiSettings().keys_dir
    if not ensure_master_key(keys_dir):
        click.echo(f"{keys_dir} already holds master key versions {key_versions(keys_dir)}")
        return
    click.echo(
        f"created master key version 1 in {keys_dir}; store a copy offline now: it is never "
        "part of a backup, and without it the encrypted files cannot be read"
    )


@keys.command("status")
def status() -> None:
    """Each master key version, its state, and how many items it protects."""
    settings = ApiSettings()
    engine = open_database(settings)
    with session_scope(engine) as session:
        lines = service.status(session, keys_dir=settings.keys_dir)
        running = service.running_rotation(session)
    names = list(lines[0].usage) if lines else []
    click.echo("\t".join(["version", "state", "created", *names]))
    for line in lines:
        created = line.created_at.strftime("%Y-%m-%d %H:%M") if line.created_at else "-"
        counts = [str(line.usage.get(name, 0)) for name in names]
        click.echo("\t".join([str(line.version), line.state, created, *counts]))
    if running is not None:
        click.echo(
            f"rotation to version {running.target_version} interrupted after "
            f"{running.rewrapped} items: run `vault03 keys rotate` to finish it"
        )


@keys.command("rotate")
@click.option("--batch-size", type=click.IntRange(1), default=service.ROTATION_BATCH)
@click.option(
    "--reshare",
    is_flag=True,
    help="Then re-issue every open share: new links and codes, sent the same ways.",
)
def rotate(batch_size: int, reshare: bool) -> None:
    """Add a master key version and rewrap every data key and sealed secret under it (file
    bodies are not touched). Resumes an interrupted rotation."""
    settings = ApiSettings()
    engine = open_database(settings)

    def progress(rotation: KeyRotation, moved: int) -> None:
        if moved:
            click.echo(f"version {rotation.target_version}: {rotation.rewrapped} rewrapped")

    try:
        with acting(CLI_CONTEXT):
            rotation = service.rotate(
                engine, keys_dir=settings.keys_dir, batch_size=batch_size, progress=progress
            )
    except (KeyRingError, IntegrityError) as error:
        raise click.ClickException(f"{error}; run `vault03 keys rotate` again when fixed") from None
    target = rotation.target_version
    click.echo(
        f"done: everything is under master key version {target}.\n"
        f"Store a copy of {key_path(settings.keys_dir, target)} offline now, then retire the "
        "older versions with `vault03 keys retire N` (see `vault03 keys status`)."
    )
    if reshare:
        ring = load_key_ring(settings)  # with the version just made current
        count = reissue_every_share(settings, ring=ring, echo=click.echo)
        click.echo(f"re-issued {count} share(s); the old links and codes no longer work")


@keys.command("retire")
@click.argument("version", type=int)
def retire(version: int) -> None:
    """Delete master key VERSION; refused while anything still uses it."""
    settings = ApiSettings()
    engine = open_database(settings)
    try:
        with acting(CLI_CONTEXT), session_scope(engine) as session:
            service.retire(session, keys_dir=settings.keys_dir, version=version)
    except service.KeyRefused as error:
        raise click.ClickException(str(error)) from None
    remove_key(settings.keys_dir, version)
    click.echo(f"master key version {version} retired and deleted from {settings.keys_dir}")
