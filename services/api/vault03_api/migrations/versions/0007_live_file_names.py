"""live file names: at most one live file per name in a vault

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Uploads settle their name in the transaction that records them (vaults.service.add_file);
    # the index makes a second live file of one name impossible whatever the code path.
    op.execute(
        "CREATE UNIQUE INDEX ux_files_live_name ON files (vault_id, name) WHERE deleted_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ux_files_live_name")
