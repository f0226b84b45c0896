"""deliveries: the payload of a message carrying a link or a code is kept sealed

Until now such a payload was stored in clear until a worker was done with it, and its old
pages stayed readable in the WAL and in free pages afterwards. From here on the `payload`
column never holds a link or a code; `sealed` holds the whole payload under the master key
while a worker needs it (see vault03_api.deliveries.sealed).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("sealed", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("sealed")
