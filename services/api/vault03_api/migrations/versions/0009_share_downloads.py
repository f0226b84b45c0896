"""share downloads: the bytes of each file a share has granted and sent, so that ranges
count against the download limit

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "share_downloads",
        sa.Column(
            "share_id",
            sa.Integer(),
            sa.ForeignKey("shares.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "file_id", sa.String(), sa.ForeignKey("files.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("granted_bytes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("used_bytes", sa.Integer(), nullable=False, server_default="0"),
    )
    # Shares counted before this had no grants: their next request of a file counts anew,
    # which can only make a limit stricter.


def downgrade() -> None:
    op.drop_table("share_downloads")
