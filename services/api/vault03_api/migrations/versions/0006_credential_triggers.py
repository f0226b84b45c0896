"""users: a disable or a 2FA reset ends every session and token for good, even by raw SQL

The operations guide disables an account and resets 2FA with plain `UPDATE users ...` in the
sqlite3 tool, behind the API's back. These triggers give the user a new security stamp at
that moment, as the admin API does, so re-enabling the account later (`deleted_at = NULL`)
or re-enrolling does not bring the old sessions and API tokens back to life.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NEW_STAMP = "UPDATE users SET security_stamp = lower(hex(randomblob(16))) WHERE id = NEW.id;"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TRIGGER users_disable_ends_credentials
        AFTER UPDATE OF deleted_at ON users
        WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL
        BEGIN {NEW_STAMP} END
        """
    )
    op.execute(
        f"""
        CREATE TRIGGER users_two_factor_reset_ends_credentials
        AFTER UPDATE OF two_factor_enabled, totp_secret ON users
        WHEN (OLD.two_factor_enabled AND NOT NEW.two_factor_enabled)
          OR (OLD.totp_secret IS NOT NULL AND NEW.totp_secret IS NULL)
        BEGIN {NEW_STAMP} END
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER users_two_factor_reset_ends_credentials")
    op.execute("DROP TRIGGER users_disable_ends_credentials")
