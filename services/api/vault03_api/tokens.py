"""Random bearer secrets (session tokens, API tokens, links, recovery codes) and their hashes:
the one place every domain takes its secrets from."""

from __future__ import annotations

import hashlib
import secrets

SESSION_TOKEN_BYTES = 32  # 256 bits
API_TOKEN_PREFIX = "v03_"  # noqa: S105
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RECOVERY_CODE_COUNT = 10


def new_token(prefix: str = "") -> str:
    """A 256-bit URL-safe random token."""
    return prefix + secrets.token_urlsafe(SESSION_TOKEN_BYTES)


def token_hash(token: str) -> str:
    """Stored form of a high-entropy token (a fast hash suffices: it cannot be guessed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_recovery_code() -> str:
    """Sixteen characters (80 bits) in four groups, without look-alike characters."""
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def recovery_code_hash(code: str) -> str:
    """Hash of a recovery code as typed, ignoring case, spaces and dashes."""
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return token_hash(normalised)
