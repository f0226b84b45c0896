"""Bodies of the user administration routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vault03_api.auth.models import Role
from vault03_api.text import Line


class InviteIn(BaseModel):
    email: str = Field(max_length=254)
    name: Line = Field(min_length=1, max_length=200)
    role: Role = Role.STAFF


class UserPatch(BaseModel):
    name: Line | None = Field(None, min_length=1, max_length=200)
    role: Role | None = None


class AdminUserOut(BaseModel):
    id: int
    name: str
    email: str
    role: Role
    two_factor_enabled: bool
    must_change_password: bool
    failed_logins: int
    locked_until: datetime | None
    last_login_at: datetime | None
    deleted_at: datetime | None
    created_at: datetime


class ResetCountOut(BaseModel):
    users: int
