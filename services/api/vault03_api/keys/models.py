"""Master key versions known to the database (never the keys) and key rotations."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from vault03_api.audit.models import Audited
from vault03_api.timestamps import utc_field


class MasterKey(Audited, SQLModel, table=True):
    """A master key version: its public check value tells the right key file from a wrong one."""

    __tablename__ = "master_keys"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    check_value: str
    created_at: datetime = utc_field(default_now=True)
    retired_at: datetime | None = utc_field(nullable=True)


class KeyRotation(Audited, SQLModel, table=True):
    """One `vault03 keys rotate`: everything is moved to `target_version`, batch by batch;
    the data itself says what is left, so a crash is resumed by running the command again."""

    __tablename__ = "key_rotations"
    __audit_exclude__ = frozenset({"rewrapped", "updated_at"})  # progress is not an event

    id: int | None = Field(default=None, primary_key=True)
    target_version: int
    status: str = Field(default="running", index=True)  # running | done
    rewrapped: int = 0
    started_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)
    finished_at: datetime | None = utc_field(nullable=True)
