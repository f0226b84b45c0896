"""share files: a share may open chosen documents (named by lineage) instead of its whole
vault

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing shares have no rows here: each keeps opening its whole vault.
    op.create_table(
        "share_files",
        sa.Column(
            "share_id",
            sa.Integer(),
            sa.ForeignKey("shares.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("lineage", sa.String(), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("share_files")
