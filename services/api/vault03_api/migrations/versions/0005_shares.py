"""shares: shares, portal sessions, access log, share deliveries

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Timestamps are UTC text (vault03_api.timestamps.UtcDateTime).
TIME = sa.String


def upgrade() -> None:
    op.create_table(
        "shares",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("vault_id", sa.Integer(), sa.ForeignKey("vaults.id"), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("third_party", sa.Boolean(), nullable=False),
        sa.Column("recipient_name", sa.String(), nullable=False),
        sa.Column("recipient_email", sa.String(), nullable=False),
        sa.Column("recipient_mobile", sa.String(), nullable=True),
        sa.Column("address_line1", sa.String(), nullable=True),
        sa.Column("address_line2", sa.String(), nullable=True),
        sa.Column("postal_code", sa.String(), nullable=True),
        sa.Column("city", sa.String(), nullable=True),
        sa.Column("country", sa.String(), nullable=True),
        sa.Column("code_channel", sa.String(), nullable=False),
        sa.Column("can_download", sa.Boolean(), nullable=False),
        sa.Column("can_upload", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("notify_on_access", sa.Boolean(), nullable=False),
        sa.Column("expires_at", TIME(), nullable=False),
        sa.Column("max_downloads", sa.Integer(), nullable=True),
        sa.Column("download_count", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False, unique=True),
        sa.Column("code_hash", sa.String(), nullable=False),
        sa.Column("code_failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", TIME(), nullable=True),
        sa.Column("revoked_at", TIME(), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("updated_at", TIME(), nullable=False),
        sa.Column("issued_at", TIME(), nullable=False),
        sa.Column("last_access_at", TIME(), nullable=True),
        sa.CheckConstraint("code_channel IN ('sms', 'postal', 'email')", name="ck_shares_channel"),
        sa.CheckConstraint("can_download OR can_upload", name="ck_shares_permission"),
        sa.CheckConstraint(
            "max_downloads IS NULL OR download_count <= max_downloads", name="ck_shares_limit"
        ),
    )
    op.create_index("ix_shares_vault_id", "shares", ["vault_id"])
    op.create_index("ix_shares_customer_id", "shares", ["customer_id"])

    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column(
            "share_id",
            sa.Integer(),
            sa.ForeignKey("shares.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(), nullable=False, unique=True),
        sa.Column("csrf_token", sa.String(), nullable=False),
        sa.Column("link_hash", sa.String(), nullable=False),
        sa.Column("ip", sa.String(), nullable=True),
        sa.Column("user_agent", sa.String(), nullable=True),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("last_seen_at", TIME(), nullable=False),
        sa.Column("expires_at", TIME(), nullable=False),
    )
    op.create_index("ix_portal_sessions_share_id", "portal_sessions", ["share_id"])

    op.create_table(
        "share_access",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "share_id",
            sa.Integer(),
            sa.ForeignKey("shares.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", TIME(), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("ip", sa.String(), nullable=True),
        sa.Column("user_agent", sa.String(), nullable=True),
        sa.Column("file_id", sa.String(), nullable=True),
        sa.Column("file_name", sa.String(), nullable=True),
    )
    op.create_index("ix_share_access_share_id", "share_access", ["share_id"])
    op.create_index("ix_share_access_at", "share_access", ["at"])

    op.create_table(
        "share_deliveries",
        sa.Column("delivery_id", sa.String(), sa.ForeignKey("deliveries.id"), primary_key=True),
        sa.Column(
            "share_id",
            sa.Integer(),
            sa.ForeignKey("shares.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.CheckConstraint("purpose IN ('link', 'code')", name="ck_share_deliveries_purpose"),
    )
    op.create_index("ix_share_deliveries_share_id", "share_deliveries", ["share_id"])


def downgrade() -> None:
    for table in ("share_deliveries", "share_access", "portal_sessions", "shares"):
        op.drop_table(table)
