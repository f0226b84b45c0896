"""Every table of the API, imported here so that the metadata (and alembic) sees them all."""

from vault03_api.audit import recorder as _audit_recorder  # noqa: F401  (installs the hook)
from vault03_api.audit.models import AuditLog

# Everything stored under a master key registers itself for rotation and the start-up check.
from vault03_api.auth import keyuse as _totp_keys  # noqa: F401
from vault03_api.auth.models import (
    ApiToken,
    AuthSession,
    LoginThrottle,
    RecoveryCode,
    User,
    UserToken,
)
from vault03_api.customers.models import Customer
from vault03_api.deliveries.models import Delivery
from vault03_api.keys.models import KeyRotation, MasterKey
from vault03_api.maintenance.models import MaintenanceWindow
from vault03_api.shares.models import PortalSession, Share, ShareAccess, ShareDelivery
from vault03_api.vaults import keyuse as _file_keys  # noqa: F401
from vault03_api.vaults.models import StoredFile, Vault

__all__ = [
    "ApiToken",
    "AuditLog",
    "AuthSession",
    "Customer",
    "Delivery",
    "KeyRotation",
    "LoginThrottle",
    "MaintenanceWindow",
    "MasterKey",
    "PortalSession",
    "RecoveryCode",
    "Share",
    "ShareAccess",
    "ShareDelivery",
    "StoredFile",
    "User",
    "UserToken",
    "Vault",
]
