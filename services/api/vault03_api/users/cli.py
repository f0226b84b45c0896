"""`vault03 users ...`: account administration from the server's shell."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

import click
from sqlmodel import Session

from vault03_api import clock
from vault03_api.auth.service import check_password_policy
from vault03_api.cli_support import load_key_ring, open_database, run_command
from vault03_api.errors import AppError
from vault03_api.passwords import make_hasher
from vault03_api.settings import ApiSettings
from vault03_api.text import check_line
from vault03_api.users import service

T = TypeVar("T")


@click.group()
def users() -> None:
    """Manage staff accounts."""


@users.command("list")
def list_users() -> None:
    """Every account: id, name, email, role, 2FA, state."""
    engine = open_database(ApiSettings())
    rows = run_command(engine, service.list_users)
    click.echo(f"{'id':>4}  {'email':<32} {'name':<24} {'role':<8} 2fa  state")
    for user in rows:
        state = "disabled" if user.deleted_at else ("reset" if user.must_change_password else "ok")
        two_factor = "on " if user.two_factor_enabled else "off"
        click.echo(
            f"{user.id:>4}  {user.email:<32} {user.name:<24} {user.role:<8} {two_factor}  {state}"
        )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_admin(email: str, name: str, password_stdin: bool) -> None:
    """Create an admin account (the first one); it enrols TOTP at its first login."""
    try:
        check_line(name)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--name") from None
    settings = ApiSettings()
    password = _read_password(password_stdin)
    try:
        check_password_policy(password, email=email, settings=settings)
    except AppError as error:
        raise click.ClickException(error.message) from None
    password_hash = make_hasher(settings).hash(password)
    engine = open_database(settings)
    user = run_command(
        engine,
        service.create_admin,
        email=email,
        name=name,
        password_hash=password_hash,
        now=clock.utcnow(),
    )
    click.echo(f"admin {user.email} created (id {user.id}); log in and enrol TOTP")


def _by_email(session: Session, /, *, email: str, action: Callable[[Session, int], T]) -> T:
    user = service.get_user_by_email(session, email=email)
    assert user.id is not None
    return action(session, user.id)


class _UserChange(Protocol):
    def __call__(self, session: Session, *, user_id: int, now: datetime) -> object: ...


def _change_user(email: str, change: _UserChange) -> None:
    """Run `change` on the user with `email`, now, in one audited transaction."""
    engine = open_database(ApiSettings())
    now = clock.utcnow()
    run_command(
        engine,
        _by_email,
        email=email,
        action=lambda session, user_id: change(session, user_id=user_id, now=now),
    )


@users.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Disable an account; its sessions and tokens stop working at once."""
    _change_user(email, service.disable_user)
    click.echo(f"{email} disabled")


@users.command("enable")
@click.argument("email")
def enable(email: str) -> None:
    """Enable a disabled account again."""
    _change_user(email, service.enable_user)
    click.echo(f"{email} enabled")


@users.command("reset-2fa")
@click.argument("email")
def reset_2fa(email: str) -> None:
    """Turn off a user's TOTP; they enrol again at their next login."""
    _change_user(email, service.reset_two_factor)
    click.echo(f"two-factor authentication reset for {email}")


@users.command("force-password-reset")
@click.argument("email", required=False)
@click.option("--all", "everyone", is_flag=True, help="Every enabled user.")
def force_password_reset(email: str | None, everyone: bool) -> None:
    """Void passwords and email reset links: one user, or --all (incident response)."""
    if bool(email) == everyone:
        raise click.UsageError("give either an EMAIL or --all")
    settings = ApiSettings()
    engine = open_database(settings)
    now = clock.utcnow()
    ring = load_key_ring(settings)
    if everyone:
        done = run_command(
            engine,
            service.force_password_reset,
            user_ids=None,
            settings=settings,
            ring=ring,
            now=now,
        )
    else:
        assert email is not None
        done = run_command(
            engine,
            _by_email,
            email=email,
            action=lambda session, user_id: service.force_password_reset(
                session, user_ids=[user_id], settings=settings, ring=ring, now=now
            ),
        )
    click.echo(f"password reset forced for {len(done)} user(s); reset links are queued")
