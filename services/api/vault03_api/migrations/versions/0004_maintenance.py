"""maintenance: announced and emergency maintenance windows, the 503 switch

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Timestamps are UTC text (vault03_api.timestamps.UtcDateTime).
TIME = sa.String


def upgrade() -> None:
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("starts_at", TIME(), nullable=False),
        sa.Column("ends_at", TIME(), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("notify_share_recipients", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("notices_sent", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("started_at", TIME(), nullable=True),
        sa.Column("ended_at", TIME(), nullable=True),
        sa.Column("cancelled_at", TIME(), nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name="ck_maintenance_windows_order"),
    )
    # At most one window is on at a time: the switch the API reads.
    op.create_index(
        "ux_maintenance_windows_on",
        "maintenance_windows",
        [sa.text("(ended_at IS NULL)")],
        unique=True,
        sqlite_where=sa.text("started_at IS NOT NULL AND ended_at IS NULL"),
    )
    op.create_index("ix_maintenance_windows_starts_at", "maintenance_windows", ["starts_at"])


def downgrade() -> None:
    op.drop_table("maintenance_windows")
