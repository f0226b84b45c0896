"""vaults: customers, vaults, files, master key versions, key rotations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Timestamps are UTC text (vault03_api.timestamps.UtcDateTime).
TIME = sa.String


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("mobile", sa.String(), nullable=True),
        sa.Column("address_line1", sa.String(), nullable=True),
        sa.Column("address_line2", sa.String(), nullable=True),
        sa.Column("postal_code", sa.String(), nullable=True),
        sa.Column("city", sa.String(), nullable=True),
        sa.Column("country", sa.String(), nullable=True),
        sa.Column("preferred_channel", sa.String(), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("updated_at", TIME(), nullable=False),
        sa.Column("deleted_at", TIME(), nullable=True),
        sa.CheckConstraint(
            "preferred_channel IN ('sms', 'postal', 'email')", name="ck_customers_channel"
        ),
    )
    for column in ("name", "email", "mobile", "deleted_at"):
        op.create_index(f"ix_customers_{column}", "customers", [column])

    op.create_table(
        "vaults",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("quota_bytes", sa.Integer(), nullable=True),  # SQLite integers are 64-bit
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("updated_at", TIME(), nullable=False),
        sa.Column("deleted_at", TIME(), nullable=True),
        sa.Column("purged_at", TIME(), nullable=True),
    )
    op.create_index("ix_vaults_customer_id", "vaults", ["customer_id"])
    op.create_index("ix_vaults_deleted_at", "vaults", ["deleted_at"])

    op.create_table(
        "files",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("vault_id", sa.Integer(), sa.ForeignKey("vaults.id"), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),  # SQLite integers are 64-bit
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("deleted_at", TIME(), nullable=True),
    )
    op.create_index("ix_files_vault_id", "files", ["vault_id"])
    op.create_index("ix_files_key_version", "files", ["key_version"])
    op.create_index("ix_files_deleted_at", "files", ["deleted_at"])

    op.create_table(
        "master_keys",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("check_value", sa.String(), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("retired_at", TIME(), nullable=True),
    )

    op.create_table(
        "key_rotations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("target_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("rewrapped", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("started_at", TIME(), nullable=False),
        sa.Column("updated_at", TIME(), nullable=False),
        sa.Column("finished_at", TIME(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'done')", name="ck_key_rotations_status"),
    )
    op.create_index("ix_key_rotations_status", "key_rotations", ["status"])


def downgrade() -> None:
    for table in ("key_rotations", "master_keys", "files", "vaults", "customers"):
        op.drop_table(table)
