"""The `maintenance_windows` table: announced and unannounced maintenance, and the 503 switch."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from vault03_api.audit.models import Audited
from vault03_api.timestamps import utc_field


class MaintenanceWindow(Audited, SQLModel, table=True):
    """One window. The API answers 503 (admins excepted) while `started_at` is set and
    `ended_at` is not: that row is the switch `vault03 maintenance on|off` flips."""

    __tablename__ = "maintenance_windows"

    id: int | None = Field(default=None, primary_key=True)
    starts_at: datetime = utc_field()  # planned, as announced
    ends_at: datetime = utc_field()  # planned; Retry-After counts down to it
    message: str  # the reason, shown on the maintenance page and in the notices
    emergency: bool = False  # announced less than 24 h ahead, or not at all
    notify_share_recipients: bool = False
    notices_sent: int = 0  # maintenance_notice deliveries queued when it was scheduled
    created_at: datetime = utc_field(default_now=True)
    started_at: datetime | None = utc_field(nullable=True)  # switched on
    ended_at: datetime | None = utc_field(nullable=True)  # switched off (restored notices sent)
    cancelled_at: datetime | None = utc_field(nullable=True)  # called off before it started
