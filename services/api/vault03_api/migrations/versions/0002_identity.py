"""identity: users, sessions, API tokens, recovery codes, one-time links, throttle, audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Timestamps are UTC text (vault03_api.timestamps.UtcDateTime).
TIME = sa.String


def _user_fk() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("two_factor_enabled", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("totp_secret", sa.String(), nullable=True),
        sa.Column("totp_pending_secret", sa.String(), nullable=True),
        sa.Column("last_totp_step", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", TIME(), nullable=True),
        sa.Column("last_login_at", TIME(), nullable=True),
        sa.Column("security_stamp", sa.String(), nullable=False),
        sa.Column("deleted_at", TIME(), nullable=True),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("updated_at", TIME(), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'staff', 'auditor')", name="ck_users_role"),
    )
    op.create_index("ix_users_email", "users", ["email"], unique=True)

    op.create_table(
        "sessions",
        sa.Column("id", sa.String(), primary_key=True),
        _user_fk(),
        sa.Column("token_hash", sa.String(), nullable=False, unique=True),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("csrf_token", sa.String(), nullable=False),
        sa.Column("user_fingerprint", sa.String(), nullable=False),
        sa.Column("ip", sa.String(), nullable=True),
        sa.Column("user_agent", sa.String(), nullable=True),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("last_seen_at", TIME(), nullable=False),
        sa.Column("expires_at", TIME(), nullable=False),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(), primary_key=True),
        _user_fk(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False, unique=True),
        sa.Column("prefix", sa.String(), nullable=False),
        sa.Column("security_stamp", sa.String(), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("expires_at", TIME(), nullable=False),
        sa.Column("last_used_at", TIME(), nullable=True),
        sa.Column("revoked_at", TIME(), nullable=True),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])

    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.String(), primary_key=True),
        _user_fk(),
        sa.Column("code_hash", sa.String(), nullable=False),
        sa.Column("used_at", TIME(), nullable=True),
        sa.Column("created_at", TIME(), nullable=False),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"])

    op.create_table(
        "user_tokens",
        sa.Column("id", sa.String(), primary_key=True),
        _user_fk(),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False, unique=True),
        sa.Column("expires_at", TIME(), nullable=False),
        sa.Column("used_at", TIME(), nullable=True),
        sa.Column("created_at", TIME(), nullable=False),
    )
    op.create_index("ix_user_tokens_user_id", "user_tokens", ["user_id"])

    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("window_started_at", TIME(), nullable=False),
        sa.Column("locked_until", TIME(), nullable=True),
    )

    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("entity_type", sa.String(), nullable=False),
        sa.Column("entity_id", sa.String(), nullable=True),
        sa.Column("action", sa.String(1), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", TIME(), nullable=False),
        sa.Column("old_values", sa.Text(), nullable=True),
        sa.Column("new_values", sa.Text(), nullable=True),
        sa.Column("event", sa.String(), nullable=True),
        sa.Column("ip", sa.String(), nullable=True),
        sa.Column("user_agent", sa.String(), nullable=True),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False, unique=True),
        sa.CheckConstraint("action IN ('c', 'u', 'd', 'r')", name="ck_audit_logs_action"),
    )
    op.create_index("ix_audit_logs_entity", "audit_logs", ["entity_type", "entity_id"])
    op.create_index("ix_audit_logs_entity_id", "audit_logs", ["entity_id"])
    op.create_index("ix_audit_logs_changed_by", "audit_logs", ["changed_by"])
    op.create_index("ix_audit_logs_changed_at", "audit_logs", ["changed_at"])
    op.create_index("ix_audit_logs_entity_type", "audit_logs", ["entity_type"])


def downgrade() -> None:
    for table in (
        "audit_logs",
        "login_throttles",
        "user_tokens",
        "recovery_codes",
        "api_tokens",
        "sessions",
        "users",
    ):
        op.drop_table(table)
