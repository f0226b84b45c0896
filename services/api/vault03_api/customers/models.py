"""The `customers` table: the office's clients (never users: they have no password)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from vault03_api.audit.models import Audited
from vault03_api.timestamps import utc_field


class CodeChannel(StrEnum):
    """How a customer receives share access codes."""

    SMS = "sms"
    POSTAL = "postal"
    EMAIL = "email"


class Customer(Audited, SQLModel, table=True):
    __tablename__ = "customers"
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    email: str = Field(index=True)
    mobile: str | None = Field(default=None, index=True)  # E.164
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    preferred_channel: str = CodeChannel.SMS.value
    language: str = "en"  # one of vault03_common.i18n.LANGUAGES: messages and portal pages
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)
    deleted_at: datetime | None = utc_field(nullable=True, index=True)
