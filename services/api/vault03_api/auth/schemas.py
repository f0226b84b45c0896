"""Request and response bodies of the identity routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vault03_api.auth.models import Role, Stage
from vault03_api.bounds import Positive
from vault03_api.text import Line


class LoginIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class CodeIn(BaseModel):
    code: str = Field(max_length=64)


class UserOut(BaseModel):
    id: int
    name: str
    email: str
    role: Role
    two_factor_enabled: bool


class SessionOut(BaseModel):
    """Where the login stands; send `csrf_token` as X-CSRF-Token on every write."""

    stage: Stage
    csrf_token: str
    user: UserOut


class EnrolmentOut(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str


class EnrolledOut(SessionOut):
    recovery_codes: list[str] = Field(description="Shown once; each works once")


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class PasswordSetIn(BaseModel):
    token: str = Field(max_length=200)
    password: str = Field(max_length=1024)


class ForgotIn(BaseModel):
    email: str = Field(max_length=254)


class MessageOut(BaseModel):
    message: str


class TokenIn(BaseModel):
    name: Line = Field(min_length=1, max_length=100)
    expires_in_days: Positive = 90


class TokenOut(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="Shown once; send as `Authorization: Bearer <token>`")
