"""The `deliveries` table: the transactional outbox and the record of every message sent."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from vault03_api.timestamps import now as utcnow  # the clock as patched by tests
from vault03_common.events import DeliveryStatus


class Delivery(SQLModel, table=True):
    __tablename__ = "deliveries"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True)
    channel: str = Field(index=True)
    kind: str
    recipient: str
    # Without its links and codes; the whole payload is in `sealed` while a worker needs it.
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    sealed: str | None = None  # vault03_api.sealing, purpose deliveries.sealed.purpose(id)
    status: str = Field(default=DeliveryStatus.QUEUED.value, index=True)
    attempts: int = 0
    last_error: str | None = None
    provider_message_id: str | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    published_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
