"""Bodies of the operations routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vault03_common.events import Channel, DeliveryStatus


class CheckOut(BaseModel):
    status: str
    detail: str


class MaintenanceOut(BaseModel):
    window_id: int
    message: str
    planned: bool
    started_at: str
    until: str


class HealthOut(BaseModel):
    status: str  # ok, maintenance (switched on, every check passing), degraded
    version: str
    checks: dict[str, CheckOut]
    failing: list[str] = []
    maintenance: MaintenanceOut | None = None


class DeadLetterOut(BaseModel):
    id: str
    channel: Channel
    kind: str
    recipient: str
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime


class DeliveryQueueOut(BaseModel):
    by_status: dict[DeliveryStatus, int] = Field(
        description="Every status, with 0 where no delivery is in it"
    )
    waiting: int = Field(description="Deliveries not yet handed to NATS")
    oldest_waiting_seconds: float
    dead_letters: list[DeadLetterOut] = Field(description="The most recent ones given up")


class BackupOut(BaseModel):
    kind: str = Field(description="local (`vault03 backup`) or offsite (restic)")
    last_success_at: datetime
    too_old: bool = Field(description="Older than the backup alert's limit")


class SystemStatusOut(BaseModel):
    healthy: bool
    checks: dict[str, CheckOut]
    deliveries: DeliveryQueueOut
    backups: list[BackupOut] = Field(description="Empty when no backup has succeeded yet")
    backup_max_age_hours: float
