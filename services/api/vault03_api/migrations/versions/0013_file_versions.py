"""file versions: each file names its document's first version (`lineage`); an upload over a
file of its name is a new version of that document, the superseded file an older version

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place (a batch copy of the table would lose its partial unique index); every
    # row gets its lineage below and every new one from the model.
    op.execute("ALTER TABLE files ADD COLUMN lineage VARCHAR NOT NULL DEFAULT ''")
    connection = op.get_bind()
    # Before versions, a staff upload soft-deleted the live staff file of its name in the same
    # transaction that recorded the new one: that file's deleted_at is the new one's created_at.
    # Such a chain is one document, its oldest file naming it.
    rows = connection.execute(
        sa.text(
            "SELECT id, vault_id, name, created_at, deleted_at, uploaded_by FROM files "
            "ORDER BY created_at, id"
        )
    ).all()
    lineage: dict[str, str] = {}
    open_chains: dict[tuple[int, str, object], str] = {}  # (vault, name, superseded at) -> lineage
    for file_id, vault_id, name, created_at, deleted_at, uploaded_by in rows:
        found = open_chains.pop((vault_id, name, created_at), None) if uploaded_by else None
        lineage[file_id] = found or file_id
        if deleted_at is not None and uploaded_by is not None:
            open_chains[(vault_id, name, deleted_at)] = lineage[file_id]
    for file_id, document in lineage.items():
        connection.execute(
            sa.text("UPDATE files SET lineage = :lineage WHERE id = :id"),
            {"lineage": document, "id": file_id},
        )
    op.create_index("ix_files_lineage", "files", ["lineage"])


def downgrade() -> None:
    op.drop_index("ix_files_lineage", "files")
    op.execute("ALTER TABLE files DROP COLUMN lineage")
