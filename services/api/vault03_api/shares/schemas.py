"""Bodies of the staff share routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, EmailStr, Field, model_validator

from vault03_api.bounds import Positive
from vault03_api.customers.models import CodeChannel
from vault03_api.customers.schemas import Country
from vault03_api.shares.models import Permission, ShareStatus
from vault03_api.text import Line, Text
from vault03_api.timestamps import IsoDateTime
from vault03_common import i18n


class RecipientIn(BaseModel):
    """A third party (not the vault's customer): where the link and the code can go."""

    name: Line = Field(min_length=1, max_length=200)
    email: EmailStr
    mobile: str | None = Field(None, max_length=40, description="Any common format; E.164 kept")
    address_line1: Line | None = Field(None, max_length=200)
    address_line2: Line | None = Field(None, max_length=200)
    postal_code: Line | None = Field(None, max_length=20)
    city: Line | None = Field(None, max_length=100)
    country: Country | None = Field(None, description="ISO 3166-1 alpha-2, e.g. FR")
    language: i18n.Language | None = Field(
        None,
        description="The language of the share's messages and portal pages; default: the "
        "office's (settings `language`)",
    )


class ShareIn(BaseModel):
    recipient: RecipientIn | None = Field(
        None, description="A third party; leave out to share with the vault's customer"
    )
    permissions: list[Permission] = Field(
        default_factory=lambda: [Permission.DOWNLOAD], min_length=1
    )
    code_channel: CodeChannel | None = Field(
        None,
        description="How the code travels; default: the recipient's preferred channel, "
        "falling back to one that is possible (no mobile: postal, then email)",
    )
    expires_at: IsoDateTime | None = Field(None, description="Default: share_default_days from now")
    max_downloads: Positive | None = Field(None, description="None: no limit")
    note: Text | None = Field(None, max_length=2000, description="Shown to the recipient")
    notify_on_access: bool = False
    file_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        None,
        max_length=1000,
        description="Share only these documents (live files of the vault); the share follows "
        "each document's newest version. Empty or left out: the whole vault",
    )

    @model_validator(mode="after")
    def _aware_expiry(self) -> ShareIn:
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("expires_at needs a time zone (e.g. 2026-12-31T18:00:00Z)")
        return self


class ExtendIn(BaseModel):
    expires_at: IsoDateTime

    @model_validator(mode="after")
    def _aware(self) -> ExtendIn:
        if self.expires_at.tzinfo is None:
            raise ValueError("expires_at needs a time zone (e.g. 2026-12-31T18:00:00Z)")
        return self


class DeliveryOut(BaseModel):
    id: str
    purpose: str
    channel: str
    kind: str
    recipient: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime


class SharedFileOut(BaseModel):
    """A document a share of chosen files opens, as it is now."""

    lineage: str = Field(description="The id of the document's first version")
    file_id: str | None = Field(description="Its live version; None once it is deleted")
    name: str
    size: int
    content_type: str
    available: bool = Field(description="Whether the recipient can see it (not deleted)")


class ShareOut(BaseModel):
    id: int
    vault_id: int
    customer_id: int
    third_party: bool
    recipient_name: str
    recipient_email: str
    recipient_mobile: str | None
    code_channel: CodeChannel
    permissions: list[Permission]
    status: ShareStatus
    expires_at: datetime
    max_downloads: int | None
    download_count: int
    note: str | None
    notify_on_access: bool
    language: i18n.Language = Field(
        description="The recipient's language: the share's messages and portal pages"
    )
    code_failures: int
    locked_until: datetime | None
    revoked_at: datetime | None
    created_by: int | None
    created_at: datetime
    issued_at: datetime
    last_access_at: datetime | None
    whole_vault: bool = Field(description="True: the whole vault; False: the chosen `files`")
    files: list[SharedFileOut] = Field(
        default_factory=list, description="The chosen documents (empty for the whole vault)"
    )
    link_delivery: DeliveryOut | None = Field(None, description="The latest link email")
    code_delivery: DeliveryOut | None = Field(None, description="The latest code message")
    reminder_deliveries: list[DeliveryOut] = Field(
        default_factory=list, description="Every reminder sent to the recipient, oldest first"
    )


class ShareCreatedOut(ShareOut):
    access_code: str = Field(description="Shown now and never again (resend-code makes a new one)")


class CodeResentOut(ShareOut):
    access_code: str = Field(description="The new code, shown once; the old one stops working")


class AccessOut(BaseModel):
    id: int
    at: datetime
    event: str
    outcome: str
    ip: str | None
    user_agent: str | None
    file_id: str | None
    file_name: str | None


class AccessPage(BaseModel):
    items: list[AccessOut]
    next_before_id: int | None
