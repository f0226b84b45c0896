"""Every use of the master keys, listed here (a domain that seals something under a master key
adds its `KeyUse` to `KEY_USES`): rotation, retirement, `vault03 keys status` and the start-up
check go through this list only."""

from __future__ import annotations

from sqlmodel import Session

from vault03_api.auth.keyuse import PENDING_TOTP_SECRETS, TOTP_SECRETS
from vault03_api.deliveries.keyuse import DELIVERY_PAYLOADS
from vault03_api.keyuse import KeyUse
from vault03_api.vaults.keyuse import FILE_DATA_KEYS

KEY_USES: tuple[KeyUse, ...] = (
    TOTP_SECRETS,
    PENDING_TOTP_SECRETS,
    FILE_DATA_KEYS,
    DELIVERY_PAYLOADS,
)


def key_uses() -> list[KeyUse]:
    """Every use of the master keys."""
    return list(KEY_USES)


def usage_by_version(session: Session) -> dict[int, dict[str, int]]:
    """{version: {use name: items}} over every use."""
    usage: dict[int, dict[str, int]] = {}
    for use in KEY_USES:
        for version, count in use.count_by_version(session).items():
            if count:
                usage.setdefault(version, {})[use.name] = count
    return usage
