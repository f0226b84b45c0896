"""share reminders: each reminder sent to a recipient, and each expiry warning to a share's
creator, one per share, kind and due time

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Timestamps are UTC text (vault03_api.timestamps.UtcDateTime).
TIME = sa.String


def upgrade() -> None:
    op.create_table(
        "share_reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "share_id",
            sa.Integer(),
            sa.ForeignKey("shares.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("due_at", TIME(), nullable=False),
        sa.Column("sent_at", TIME(), nullable=False),
        sa.Column("sent_to", sa.String(), nullable=False),
        sa.UniqueConstraint("share_id", "kind", "due_at"),
        sa.CheckConstraint("kind IN ('recipient', 'expiry')", name="ck_share_reminders_kind"),
    )
    op.create_index("ix_share_reminders_share_id", "share_reminders", ["share_id"])


def downgrade() -> None:
    op.drop_table("share_reminders")
