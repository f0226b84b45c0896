"""Vaults (per customer) and their encrypted files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from vault03_api.audit.models import Audited
from vault03_api.timestamps import utc_field


class Vault(Audited, SQLModel, table=True):
    __tablename__ = "vaults"
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    name: str
    description: str | None = None
    quota_bytes: int | None = None  # None: no quota
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)
    deleted_at: datetime | None = utc_field(nullable=True, index=True)
    purged_at: datetime | None = utc_field(nullable=True)


class StoredFile(Audited, SQLModel, table=True):
    """A file: its metadata, and its data key wrapped by master key `key_version`."""

    __tablename__ = "files"
    # One live file per name in a vault (superseded and deleted ones keep theirs).
    __table_args__ = (
        Index(
            "ux_files_live_name",
            "vault_id",
            "name",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )
    # Key rotation rewraps keys in bulk; the rotation itself is the audited event.
    __audit_exclude__ = frozenset({"wrapped_key", "key_version"})
    __audit_redact__ = frozenset({"wrapped_key"})

    id: str = Field(primary_key=True)  # a UUID: names the blob, bound into its encryption
    vault_id: int = Field(foreign_key="vaults.id", index=True)
    # The id of the document's first version: an upload over a file of its name becomes the
    # document's live version, the one it supersedes stays as an older version (soft deleted).
    lineage: str = Field(index=True)
    name: str
    content_type: str
    size: int
    key_version: int = Field(index=True)
    wrapped_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = utc_field(default_now=True)
    deleted_at: datetime | None = utc_field(nullable=True, index=True)
