"""TOTP (RFC 6238: SHA-1, 6 digits, 30 s steps, one step of drift either way) with pyotp."""

from __future__ import annotations

import hmac
import io
from datetime import datetime

import pyotp
import segno

ISSUER = "VAULT03"
STEP_SECONDS = 30
DRIFT_STEPS = 1


def new_secret() -> str:
    """A 160-bit base32 secret."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an SVG QR code."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
    return buffer.getvalue().decode()


def current_step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def matching_step(secret: str, code: str, *, at: datetime) -> int | None:
    """The time step whose code equals `code` (within the drift window), else None."""
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    now = current_step(at)
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at_step(secret, step).encode(), code.encode()):
            found = step
    return found
