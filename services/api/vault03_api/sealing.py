"""Small secrets sealed at rest (TOTP secrets, provider tokens): AES-256-GCM under a subkey
derived with HKDF from the current master key. The version prefix lets rotation find them."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vault03_api.keyring import KeyRing

_INFO = b"vault03 sealed secret v1"


def _subkey(ring: KeyRing, version: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        ring.key(version)
    )


def seal(ring: KeyRing, plaintext: bytes, *, purpose: str, version: int | None = None) -> str:
    """`v<version>:<base64(nonce + ciphertext)>`; `purpose` is bound as associated data.

    `version` defaults to the ring's current master key."""
    version = ring.current_version if version is None else version
    nonce = os.urandom(12)
    sealed = AESGCM(_subkey(ring, version)).encrypt(nonce, plaintext, purpose.encode())
    return f"v{version}:{base64.b64encode(nonce + sealed).decode()}"


def sealed_version(token: str) -> int:
    """The master key version a sealed value needs."""
    return int(token.split(":", 1)[0].removeprefix("v"))


def unseal(ring: KeyRing, token: str, *, purpose: str) -> bytes:
    """Open a value made by `seal`; raises on tampering or the wrong purpose."""
    raw = base64.b64decode(token.split(":", 1)[1])
    return AESGCM(_subkey(ring, sealed_version(token))).decrypt(
        raw[:12], raw[12:], purpose.encode()
    )


def reseal(ring: KeyRing, token: str, *, purpose: str, version: int) -> str:
    """The same secret sealed under master key `version` (used by key rotation)."""
    return seal(ring, unseal(ring, token, purpose=purpose), purpose=purpose, version=version)
