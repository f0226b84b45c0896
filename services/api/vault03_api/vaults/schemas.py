"""Bodies of the vault and file routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vault03_api.bounds import Count
from vault03_api.text import Line, Text


class VaultIn(BaseModel):
    name: Line = Field(min_length=1, max_length=200)
    description: Text | None = Field(None, max_length=2000)
    quota_bytes: Count | None = Field(None, description="None: no quota")


class VaultPatch(BaseModel):
    """Only the fields sent are changed; send null to clear the description or the quota."""

    name: Line | None = Field(None, min_length=1, max_length=200)
    description: Text | None = Field(None, max_length=2000)
    quota_bytes: Count | None = None


class VaultOut(BaseModel):
    id: int
    customer_id: int
    name: str
    description: str | None
    quota_bytes: int | None
    file_count: int
    used_bytes: int
    created_at: datetime
    updated_at: datetime


class FileOut(BaseModel):
    id: str
    vault_id: int
    name: str
    content_type: str
    size: int
    created_at: datetime
    uploaded_by: int | None


class FileVersionOut(FileOut):
    """One version of a file; `id` downloads it under /files/{file_id}/versions/{id}."""

    current: bool
