"""TOTP secrets are sealed under the master key: listed in keys/registry.py so that rotation
reseals them and a version still sealing one is never retired."""

from __future__ import annotations

from vault03_api.auth.models import User
from vault03_api.auth.service import totp_purpose
from vault03_api.keyuse import sealed_column_use

_users = User.__table__  # type: ignore[attr-defined]

TOTP_SECRETS = sealed_column_use(
    name="totp secrets",
    table=_users,
    key_column="id",
    column="totp_secret",
    purpose=lambda user_id: totp_purpose(int(str(user_id))),
)
PENDING_TOTP_SECRETS = sealed_column_use(
    name="pending totp secrets",
    table=_users,
    key_column="id",
    column="totp_pending_secret",
    purpose=lambda user_id: totp_purpose(int(str(user_id))),
)
