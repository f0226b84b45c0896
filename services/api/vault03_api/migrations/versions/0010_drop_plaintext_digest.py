"""files: drop the plaintext SHA-256

A stored SHA-256 of each plaintext let whoever holds the database (a backup, a stolen disk:
the master keys are elsewhere) confirm that a vault holds a document they can guess, and it
was sent as the ETag. Integrity needs no digest: every chunk is authenticated (AES-GCM,
STREAM construction: place, last-chunk flag and file id bound), which `vault03 files verify`
checks. secure_delete zeroes the freed space instead of leaving the old values in it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("PRAGMA secure_delete = ON")
    op.execute("ALTER TABLE files DROP COLUMN sha256")


def downgrade() -> None:
    op.add_column("files", sa.Column("sha256", sa.String(), nullable=False, server_default=""))
