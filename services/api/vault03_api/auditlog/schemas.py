"""Bodies of the audit routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from vault03_api.bounds import MAX_INTEGER
from vault03_api.timestamps import IsoDateTime


class AuditFilter(BaseModel):
    """Which entries: every given field must match; times are inclusive bounds (UTC)."""

    entity_type: str | None = None
    entity_id: str | None = None
    changed_by: int | None = Field(None, ge=1, le=MAX_INTEGER)
    action: Literal["c", "u", "d", "r"] | None = None
    event: str | None = None
    since: IsoDateTime | None = None
    until: IsoDateTime | None = None


class AuditEntryOut(BaseModel):
    id: int
    entity_type: str
    entity_id: str | None
    action: str
    changed_by: int | None
    changed_at: datetime
    old_values: dict[str, Any] | None
    new_values: dict[str, Any] | None
    event: str | None
    ip: str | None
    user_agent: str | None
    prev_hash: str
    hash: str


class AuditPageOut(BaseModel):
    items: list[AuditEntryOut]
    next_before_id: int | None = Field(
        None, description="Pass as before_id for the next (older) page; null on the last page"
    )
