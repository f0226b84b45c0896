"""share deliveries may be reminders: a reminder to a share's recipient is listed with the
share's link and code messages (the customer's timeline shows it)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _rebuild(purposes: str) -> None:
    # SQLite cannot change a CHECK constraint in place: the table is copied into a new one.
    op.execute(
        "CREATE TABLE share_deliveries_new ("
        " delivery_id VARCHAR NOT NULL PRIMARY KEY REFERENCES deliveries (id),"
        " share_id INTEGER NOT NULL REFERENCES shares (id) ON DELETE CASCADE,"
        " purpose VARCHAR NOT NULL,"
        " created_at VARCHAR NOT NULL,"
        f" CONSTRAINT ck_share_deliveries_purpose CHECK (purpose IN ({purposes})))"
    )
    op.execute(
        "INSERT INTO share_deliveries_new (delivery_id, share_id, purpose, created_at)"
        " SELECT delivery_id, share_id, purpose, created_at FROM share_deliveries"
    )
    op.execute("DROP TABLE share_deliveries")
    op.execute("ALTER TABLE share_deliveries_new RENAME TO share_deliveries")
    op.create_index("ix_share_deliveries_share_id", "share_deliveries", ["share_id"])


def upgrade() -> None:
    _rebuild("'link', 'code', 'reminder'")


def downgrade() -> None:
    # The reminders' rows go (their deliveries stay).
    op.execute("DELETE FROM share_deliveries WHERE purpose = 'reminder'")
    _rebuild("'link', 'code'")
