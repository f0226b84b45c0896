"""file names: invisible format characters already stored become _

Uploads clean them since vaults.service.sanitise_filename learnt to (a right-to-left override
showed "invoice", U+202E, "fdp.exe" as "invoiceexe.pdf"); names stored before keep theirs
until this runs. A cleaned name that another live file of the vault holds takes the first
free "name (n).ext", as an upload would.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

import unicodedata
from pathlib import PurePosixPath

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The rule of sanitise_filename as this migration applies it.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def _cleaned(name: str) -> str:
    return "".join("_" if unicodedata.category(c) in _INVISIBLE else c for c in name)


def _free(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    path = PurePosixPath(name)
    stem, suffix = (path.stem, path.suffix) if path.stem else (name, "")
    number = 2
    while f"{stem} ({number}){suffix}" in taken:
        number += 1
    return f"{stem} ({number}){suffix}"


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, vault_id, name, deleted_at IS NULL FROM files ORDER BY created_at")
    ).all()
    live: dict[int, set[str]] = {}
    for _, vault_id, name, is_live in rows:
        if is_live:
            live.setdefault(vault_id, set()).add(name)
    for file_id, vault_id, name, is_live in rows:
        cleaned = _cleaned(name)
        if cleaned == name:
            continue
        if is_live:
            taken = live[vault_id]
            taken.discard(name)
            cleaned = _free(cleaned, taken)
            taken.add(cleaned)
        connection.execute(
            sa.text("UPDATE files SET name = :name WHERE id = :id"),
            {"name": cleaned, "id": file_id},
        )


def downgrade() -> None:
    pass  # the names as first stored are not kept
