"""What a domain stores under a master key version, declared as a `KeyUse`: how many items
each version protects, and how to move a batch of them to another version. The keys domain
lists every use (keys/registry.py) for rotation, retirement, status and the start-up check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Integer, Table, cast, func, select, update
from sqlmodel import Session

from vault03_api import sealing
from vault03_api.keyring import KeyRing


@dataclass(frozen=True)
class KeyUse:
    """Items protected by a master key version.

    `count_by_version(session)` -> {version: items}; `rewrap(session, ring, target, limit)`
    moves up to `limit` items not yet under `target` to it and returns how many it moved."""

    name: str
    count_by_version: Callable[[Session], dict[int, int]]
    rewrap: Callable[[Session, KeyRing, int, int], int]


def sealed_column_use(
    *, name: str, table: Table, key_column: str, column: str, purpose: Callable[[object], str]
) -> KeyUse:
    """A KeyUse for a text column of `vault03_api.sealing` tokens (`v<version>:...`);
    `purpose(key)` gives the associated data each row's value was sealed with."""
    value = table.c[column]
    key = table.c[key_column]
    version = cast(func.substr(value, 2, func.instr(value, ":") - 2), Integer)

    def count_by_version(session: Session) -> dict[int, int]:
        rows = session.execute(
            select(version, func.count()).where(value.is_not(None)).group_by(version)
        )
        return {int(v): int(n) for v, n in rows}

    def rewrap(session: Session, ring: KeyRing, target: int, limit: int) -> int:
        prefix = f"v{target}:"
        rows = session.execute(
            select(key, value)
            .where(value.is_not(None), func.substr(value, 1, len(prefix)) != prefix)
            .limit(limit)
        ).all()
        for row_key, token in rows:
            moved = sealing.reseal(ring, token, purpose=purpose(row_key), version=target)
            session.execute(update(table).where(key == row_key).values({column: moved}))
        return len(rows)

    return KeyUse(name=name, count_by_version=count_by_version, rewrap=rewrap)
