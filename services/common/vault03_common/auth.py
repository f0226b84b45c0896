"""Shared-secret checks for webhooks (provider and Alertmanager callbacks)."""

from __future__ import annotations

import base64
import binascii
import hmac


def offered_secret(authorization: str | None) -> str | None:
    """The secret in an Authorization header: a bearer token, or a basic-auth password."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def secret_matches(authorization: str | None, secret: str) -> bool:
    """True when the header carries `secret` (compared in constant time)."""
    offered = offered_secret(authorization)
    if offered is None:
        return False
    return hmac.compare_digest(offered.encode(), secret.encode())
