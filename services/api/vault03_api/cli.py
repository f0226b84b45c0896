"""`vault03`: the administration command (run it where the API's data lives)."""

from __future__ import annotations

import click
from pydantic import ValidationError

from vault03_api.audit.cli import audit
from vault03_api.customers.exceptions import InvalidCustomer
from vault03_api.customers.service import normalise_mobile
from vault03_api.db import create_db_engine, session_scope
from vault03_api.deliveries.service import enqueue_delivery
from vault03_api.keys.cli import keys
from vault03_api.maintenance.cli import maintenance
from vault03_api.migrations import upgrade_database
from vault03_api.ops import cli as ops_cli
from vault03_api.settings import ApiSettings
from vault03_api.shares.cli import shares
from vault03_api.users.cli import users
from vault03_api.vaults.cli import files, vaults
from vault03_common.address import PostalAddress
from vault03_common.messages import Outgoing, SendTestMessage


@click.group()
def main() -> None:
    """Administer a VAULT03 installation."""


main.add_command(users)
main.add_command(audit)
main.add_command(keys)
main.add_command(files)
main.add_command(vaults)
main.add_command(shares)
main.add_command(maintenance)


@main.command()
def serve() -> None:
    """Run the API (as `python -m vault03_api`)."""
    from vault03_api.main import main as run_api

    run_api()


@main.command()
def migrate() -> None:
    """Apply pending migrations (a copy of the database is taken first)."""
    settings = ApiSettings()
    engine = create_db_engine(settings.database_path)
    copy = upgrade_database(
        engine,
        database=settings.database_path,
        backup_dir=settings.backup_dir,
        default_language=settings.language,
    )
    click.echo(f"migrated; copy taken before: {copy}" if copy else "database is up to date")


@main.group()
def deliveries() -> None:
    """Inspect and test message deliveries."""


@deliveries.command("send-test")
@click.option("--channel", type=click.Choice(["email", "sms", "postal", "telegram"]), required=True)
@click.option("--to", "recipient", help="Email address, E.164 number, or Telegram chat id.")
@click.option("--text", default="This is a test message from VAULT03.")
@click.option("--address", help="Postal address as JSON (name, line1, postal_code, city, ...).")
def send_test(channel: str, recipient: str | None, text: str, address: str | None) -> None:
    """Queue a test message on one channel and print its delivery id."""
    settings = ApiSettings()
    message = SendTestMessage(office=settings.office, subject="VAULT03 test", body=text)
    outgoing: Outgoing
    try:
        match channel:
            case "email":
                if not recipient:
                    raise click.UsageError("--to is required for email")
                outgoing = message.email(to=recipient)
            case "sms":
                if not recipient:
                    raise click.UsageError("--to is required for sms")
                # Any common way of writing it, as staff type it for a customer.
                mobile = normalise_mobile(recipient, region=settings.phone_default_region)
                outgoing = message.sms(to=mobile)
            case "postal":
                if not address:
                    raise click.UsageError("--address is required for postal")
                outgoing = message.letter(address=PostalAddress.model_validate_json(address))
            case _:
                outgoing = message.telegram(chat_id=recipient)
    except InvalidCustomer as error:
        raise click.BadParameter(f"{recipient}: {error.message}", param_hint="--to") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in error.errors()
        )
        raise click.UsageError(f"not a message that can be sent: {problems}") from None
    engine = create_db_engine(settings.database_path)
    with session_scope(engine) as session:
        delivery = enqueue_delivery(session, outgoing=outgoing)
    click.echo(delivery.id)


# Operations commands live with the ops domain (backup, restore, db maintenance).
main.add_command(ops_cli.backup_command)
main.add_command(ops_cli.restore_command)
main.add_command(ops_cli.db_group)


if __name__ == "__main__":
    main()
