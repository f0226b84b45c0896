"""Shares, their portal sessions, their access log, and the deliveries that carried them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from vault03_api.audit.models import Audited
from vault03_api.timestamps import utc_field


class ShareStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LOCKED = "locked"  # too many wrong access codes: waits for its lock to pass
    EXHAUSTED = "exhausted"  # the download limit is reached


class ReminderKind(StrEnum):
    RECIPIENT = "recipient"  # the recipient is reminded of a share still waiting for them
    EXPIRY = "expiry"  # the share's creator hears that it expires soon, still waiting


class Permission(StrEnum):
    DOWNLOAD = "download"
    UPLOAD = "upload"


class AccessEvent(StrEnum):
    VIEW = "view"  # the link's page was opened
    CODE = "code"  # an access code was entered
    DOWNLOAD = "download"
    UPLOAD = "upload"
    LOGOUT = "logout"


class Share(Audited, SQLModel, table=True):
    """A vault opened to one recipient until `expires_at`; the link token and the access code
    exist only hashed (the token as SHA-256, the code as argon2id)."""

    __tablename__ = "shares"
    # Counters move with every download and wrong code: the access log (itself audited) has
    # one line for each, so the share's own entry would only repeat it.
    __audit_exclude__ = frozenset(
        {"updated_at", "last_access_at", "download_count", "code_failures"}
    )

    id: int | None = Field(default=None, primary_key=True)
    vault_id: int = Field(foreign_key="vaults.id", index=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    # Who receives it: the vault's customer, or a named third party (details kept here, so
    # resends and re-issues go where the share was first sent).
    third_party: bool = False
    recipient_name: str
    recipient_email: str
    recipient_mobile: str | None = None  # E.164
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    code_channel: str  # sms | postal | email: how the access code travels
    can_download: bool = True
    can_upload: bool = False
    note: str | None = None  # shown to the recipient in the email and on the portal
    language: str = "en"  # the recipient's: the share's messages and portal pages
    notify_on_access: bool = False
    expires_at: datetime = utc_field()
    max_downloads: int | None = None
    download_count: int = 0
    token_hash: str = Field(unique=True)
    code_hash: str
    code_failures: int = 0
    locked_until: datetime | None = utc_field(nullable=True)
    revoked_at: datetime | None = utc_field(nullable=True)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)
    issued_at: datetime = utc_field(default_now=True)  # when the current link was made
    last_access_at: datetime | None = utc_field(nullable=True)


class PortalSession(Audited, SQLModel, table=True):
    """A recipient's session after the right code: scoped to one share and its current link."""

    __tablename__ = "portal_sessions"
    __audit_exclude__ = frozenset({"last_seen_at"})

    id: str = Field(primary_key=True)
    share_id: int = Field(foreign_key="shares.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(unique=True)
    csrf_token: str
    # The share's token_hash when the session began: a new link (resend, re-issue) ends it.
    link_hash: str
    ip: str | None = None
    user_agent: str | None = None
    created_at: datetime = utc_field(default_now=True)
    last_seen_at: datetime = utc_field(default_now=True)
    expires_at: datetime = utc_field()


class ShareAccess(Audited, SQLModel, table=True):
    """One line of a share's access log (each line is also in the audit log)."""

    __tablename__ = "share_access"

    id: int | None = Field(default=None, primary_key=True)
    share_id: int = Field(foreign_key="shares.id", index=True, ondelete="CASCADE")
    at: datetime = utc_field(default_now=True, index=True)
    event: str
    outcome: str  # ok, or why not: wrong_code, locked, limit_reached, too_large, ...
    ip: str | None = None
    user_agent: str | None = None
    file_id: str | None = None
    file_name: str | None = None


class ShareDownload(SQLModel, table=True):
    """The bytes of one file a share has granted (its size per counted download) and sent
    (charged when a request is admitted); the access log, audited, has each request."""

    __tablename__ = "share_downloads"

    share_id: int = Field(foreign_key="shares.id", primary_key=True, ondelete="CASCADE")
    file_id: str = Field(foreign_key="files.id", primary_key=True, ondelete="CASCADE")
    granted_bytes: int = 0
    used_bytes: int = 0


class ShareFile(Audited, SQLModel, table=True):
    """A document a share of chosen files opens, named by its lineage so that the share
    follows the document's newest version. A share without any opens its whole vault."""

    __tablename__ = "share_files"

    share_id: int = Field(foreign_key="shares.id", primary_key=True, ondelete="CASCADE")
    lineage: str = Field(primary_key=True)


class ShareDelivery(SQLModel, table=True):
    """Which deliveries carried a share's link and codes (their status lives on `deliveries`)."""

    __tablename__ = "share_deliveries"

    delivery_id: str = Field(foreign_key="deliveries.id", primary_key=True)
    share_id: int = Field(foreign_key="shares.id", index=True, ondelete="CASCADE")
    purpose: str  # link | code | reminder
    created_at: datetime = utc_field(default_now=True)


class ShareReminderSent(Audited, SQLModel, table=True):
    """A reminder sent for a share. One per share, kind and due time: of two runs that race,
    the second's insert fails and its transaction, message included, is rolled back."""

    __tablename__ = "share_reminders"
    __table_args__ = (UniqueConstraint("share_id", "kind", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    share_id: int = Field(foreign_key="shares.id", index=True, ondelete="CASCADE")
    kind: str  # ReminderKind
    due_at: datetime = utc_field()
    sent_at: datetime = utc_field(default_now=True)
    sent_to: str  # the email address told (the recipient's, or the creator's)
