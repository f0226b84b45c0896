"""languages: each customer and each share names the language its messages and portal pages
are written in; existing ones get the office's default language (settings `language`)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from alembic import context, op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

SUPPORTED = ("en", "fr", "de")


def upgrade() -> None:
    # upgrade_database hands over the office's default language (the API's settings).
    language = context.config.attributes.get("default_language", "en")
    if language not in SUPPORTED:
        raise ValueError(f"default language {language!r} is not one of {SUPPORTED}")
    # Added in place (no batch copy of the tables), every existing row in the office's language.
    for table in ("customers", "shares"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN language VARCHAR NOT NULL DEFAULT '{language}'")


def downgrade() -> None:
    for table in ("customers", "shares"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN language")
