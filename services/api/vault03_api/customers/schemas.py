"""Bodies of the customer routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, EmailStr, Field

from vault03_api.customers.models import CodeChannel
from vault03_api.text import Line
from vault03_common import i18n


def _known_country(code: str) -> str:
    if not i18n.known_country(code):
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code (e.g. FR, DE)")
    return code.upper()


Country = Annotated[
    str,
    Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2, e.g. FR"),
    AfterValidator(_known_country),
]
"""A country as letters carry it: its ISO code (the letter names it in its language)."""


class _Address(BaseModel):
    address_line1: Line | None = Field(None, max_length=200)
    address_line2: Line | None = Field(None, max_length=200)
    postal_code: Line | None = Field(None, max_length=20)
    city: Line | None = Field(None, max_length=100)
    country: Country | None = Field(None, description="ISO 3166-1 alpha-2, e.g. FR")


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
    language: i18n.Language | None = Field(
        None,
        description="The language of the customer's messages and portal pages; default: the "
        "office's (settings `language`)",
    )


class CustomerPatch(_Address):
    """Only the fields sent are changed; send null to clear an optional field."""

    name: Line | None = Field(None, min_length=1, max_length=200)
    email: EmailStr | None = None
    mobile: str | None = Field(None, max_length=40)
    preferred_channel: CodeChannel | None = None
    language: i18n.Language | None = None


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
    language: i18n.Language
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
