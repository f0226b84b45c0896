"""Every table of the API, imported here so that the metadata (and alembic) sees them all."""

from vault03_api.audit import recorder as _audit_recorder  # noqa: F401  (installs the hook)
from vault03_api.audit.models import AuditLog
from vault03_api.auth.models import (
    ApiToken,
    AuthSession,
    LoginThrottle,
    RecoveryCode,
    User,
    UserToken,
)
from vault03_api.deliveries.models import Delivery

__all__ = [
    "ApiToken",
    "AuditLog",
    "AuthSession",
    "Delivery",
    "LoginThrottle",
    "RecoveryCode",
    "User",
    "UserToken",
]
