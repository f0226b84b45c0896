"""Checking the audit chain: each entry's hash must match its content and the entry before."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from vault03_api.audit.recorder import GENESIS_HASH, entry_hash

_COLUMNS = (
    "id, entity_type, entity_id, action, changed_by, changed_at, old_values, new_values, "
    "event, ip, user_agent, prev_hash, hash"
)
_BATCH = 1000


@dataclass(frozen=True)
class ChainReport:
    """The outcome of a verification: how many entries were checked and the first bad one."""

    checked: int
    broken_id: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain(connection: Connection) -> ChainReport:
    """Walk the chain from the first entry; stop at the first broken link."""
    expected_prev, expected_id, checked = GENESIS_HASH, 1, 0
    while True:
        # Read the stored text as it is (no type conversion), since that is what was hashed.
        rows = connection.execute(
            text(f"SELECT {_COLUMNS} FROM audit_logs WHERE id >= :start ORDER BY id LIMIT :n"),  # noqa: S608
            {"start": expected_id, "n": _BATCH},
        ).mappings()
        batch = [dict(row) for row in rows]
        if not batch:
            return ChainReport(checked)
        for row in batch:
            if row["id"] != expected_id:
                return ChainReport(checked, row["id"], f"entries missing before id {row['id']}")
            if row["prev_hash"] != expected_prev:
                return ChainReport(checked, row["id"], "prev_hash does not match the entry before")
            if entry_hash(row) != row["hash"]:
                return ChainReport(checked, row["id"], "content does not match its hash")
            expected_prev, expected_id, checked = row["hash"], expected_id + 1, checked + 1
