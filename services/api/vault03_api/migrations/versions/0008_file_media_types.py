"""file media types: a stored type that is not a bounded `type/subtype` becomes
application/octet-stream (it was the uploader's raw text, sent back as a header)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The same rule as vaults.service.media_type, frozen here as this migration applies it.
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, content_type FROM files")).all()
    for file_id, declared in rows:
        essence = (declared or "").split(";", 1)[0].strip().lower()
        fixed = essence if _MEDIA_TYPE.fullmatch(essence) else "application/octet-stream"
        if fixed != declared:
            connection.execute(
                sa.text("UPDATE files SET content_type = :fixed WHERE id = :id"),
                {"fixed": fixed, "id": file_id},
            )


def downgrade() -> None:
    pass  # the raw values are not kept
