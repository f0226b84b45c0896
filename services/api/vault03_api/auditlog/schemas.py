"""Bodies of the audit routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from vault03_api.audit.models import AuditEntity, AuditEvent
from vault03_api.bounds import MAX_INTEGER
from vault03_api.shares.schemas import DeliveryOut
from vault03_api.timestamps import IsoDateTime


class AuditFilter(BaseModel):
    """Which entries: every given field must match; times are inclusive bounds (UTC)."""

    entity_type: AuditEntity | None = None
    entity_id: str | None = None
    changed_by: int | None = Field(None, ge=1, le=MAX_INTEGER)
    customer_id: int | None = Field(
        None,
        ge=1,
        le=MAX_INTEGER,
        description="Only what concerns this customer: the customer, its vaults and their "
        "files, its shares, their access log and portal sessions",
    )
    action: Literal["c", "u", "d", "r"] | None = None
    event: AuditEvent | None = None
    since: IsoDateTime | None = None
    until: IsoDateTime | None = None
    summary: bool = Field(
        False,
        description="Leave out entries that only repeat another in more technical terms: a "
        "recipient's portal sessions and file reads and writes (the share's access log has "
        "each), staff sessions other than signing in and out, and the creation of recovery codes "
        "(the enrolment's entry says it)",
    )


ActorKind = Literal["staff", "recipient", "system"]


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
    actor: str | None = Field(
        None,
        description="Who did it, by name: the staff member, or the share's recipient for what "
        "happened through a share's link; null for the system",
    )
    actor_kind: ActorKind = "system"
    subject: str | None = Field(
        None,
        description="The name of the thing: a customer's, vault's, file's or user's name, the "
        "vault of a share, the file of an access log line",
    )
    recipient: str | None = Field(None, description="The recipient of the share concerned")


class AuditPageOut(BaseModel):
    items: list[AuditEntryOut]
    next_before_id: int | None = Field(
        None, description="Pass as before_id for the next (older) page; null on the last page"
    )


class TimelineDelivery(DeliveryOut):
    share_id: int


class TimelineItem(BaseModel):
    """One line of a customer's timeline: an audit entry, or a message sent for a share."""

    at: datetime
    entry: AuditEntryOut | None = None
    delivery: TimelineDelivery | None = None


class TimelinePage(BaseModel):
    items: list[TimelineItem]
    next_before_id: int | None = Field(
        None, description="Pass as before_id for the next (older) page; null on the last page"
    )
