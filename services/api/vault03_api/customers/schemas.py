"""Bodies of the customer routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, EmailStr, Field

from vault03_api.customers.models import CodeChannel
from vault03_api.text import Line


class _Address(BaseModel):
    address_line1: Line | None = Field(None, max_length=200)
    address_line2: Line | None = Field(None, max_length=200)
    postal_code: Line | None = Field(None, max_length=20)
    city: Line | None = Field(None, max_length=100)
    country: str | None = Field(None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")


class CustomerIn(_Address):
    name: Line = Field(min_length=1, max_length=200)
    email: EmailStr
    mobile: str | None = Field(
        None, max_length=40, description="Any common format; stored as E.164"
    )
    preferred_channel: CodeChannel | None = Field(
        None,
        description="How access codes reach the customer; default: sms with a mobile number, "
        "else postal with an address, else email (a mobile is needed only for sms)",
    )


class CustomerPatch(_Address):
    """Only the fields sent are changed; send null to clear an optional field."""

    name: Line | None = Field(None, min_length=1, max_length=200)
    email: EmailStr | None = None
    mobile: str | None = Field(None, max_length=40)
    preferred_channel: CodeChannel | None = None


class CustomerOut(BaseModel):
    id: int
    name: str
    email: str
    mobile: str | None
    address_line1: str | None
    address_line2: str | None
    postal_code: str | None
    city: str | None
    country: str | None
    preferred_channel: CodeChannel
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class DuplicateOut(BaseModel):
    """An existing customer the new one may be the same person as."""

    id: int
    name: str
    matched_on: list[str] = Field(description="The fields that are the same: email, mobile")


class CustomerCreatedOut(CustomerOut):
    duplicates: list[DuplicateOut] = Field(
        description="Existing customers with the same email or mobile number: the customer "
        "is created all the same, so the console can offer to open the existing one instead"
    )


class CustomerPage(BaseModel):
    items: list[CustomerOut]
    total: int
    limit: int
    offset: int
