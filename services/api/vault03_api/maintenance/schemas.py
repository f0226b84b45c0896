"""Request and response bodies of the maintenance routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

from vault03_api.bounds import JSON_INTEGER, Positive
from vault03_api.maintenance.models import MaintenanceWindow
from vault03_api.maintenance.service import MAX_DURATION, Announced
from vault03_api.text import Text
from vault03_api.timestamps import DATE_AND_TIME_TEXT

MAX_MINUTES = int(MAX_DURATION.total_seconds() // 60)


class WindowOut(BaseModel):
    id: int
    state: Literal["scheduled", "on", "over", "cancelled"]
    starts_at: datetime
    ends_at: datetime
    message: str
    emergency: bool
    notify_share_recipients: bool
    notices_sent: int
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, window: MaintenanceWindow) -> WindowOut:
        if window.cancelled_at is not None:
            state: Literal["scheduled", "on", "over", "cancelled"] = "cancelled"
        elif window.ended_at is not None:
            state = "over"
        elif window.started_at is not None:
            state = "on"
        else:
            state = "scheduled"
        return cls.model_validate({**window.model_dump(), "state": state})


class MaintenanceStatusOut(BaseModel):
    on: WindowOut | None
    scheduled: list[WindowOut]


class ScheduleIn(BaseModel):
    starts_at: Annotated[AwareDatetime, DATE_AND_TIME_TEXT] = Field(
        description="With its UTC offset, at least 24 h ahead"
    )
    duration_minutes: Annotated[int, Field(ge=1, le=MAX_MINUTES), JSON_INTEGER]
    message: Text = Field(min_length=1, max_length=500, description="What is done, and why")
    emergency: bool = Field(False, description="Allows less than 24 hours of notice")
    notify_share_recipients: bool = False


class OnIn(BaseModel):
    window_id: Positive | None = Field(None, description="Default: the scheduled window due now")
    emergency: bool = Field(False, description="No window due: start an unannounced one now")
    duration_minutes: Annotated[int, Field(ge=1, le=MAX_MINUTES), JSON_INTEGER] | None = None
    message: Text | None = Field(None, max_length=500)


class OffIn(BaseModel):
    details: Text | None = Field(None, max_length=500, description="Added to the restored notice")


class NoticesOut(BaseModel):
    staff: int
    share_recipients: int


class AnnouncedOut(BaseModel):
    window: WindowOut
    notices: NoticesOut

    @classmethod
    def of(cls, announced: Announced) -> AnnouncedOut:
        notices = announced.notices
        return cls(
            window=WindowOut.of(announced.window),
            notices=NoticesOut(staff=notices.staff, share_recipients=notices.share_recipients),
        )
