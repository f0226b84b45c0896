"""The secrets of a share: the link token (256 bits, stored as SHA-256), the access code (eight
digits, stored as argon2id: a leaked database does not give codes away), portal cookies."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from vault03_api.passwords import Passwords
from vault03_api.settings import ApiSettings
from vault03_api.tokens import new_token, token_hash

CODE_DIGITS = 8
PORTAL_PATH = "/s"
_PORTAL_COOKIE = "vault03_portal_"
_CODE_FORM_COOKIE = "vault03_code_form_"


def new_link_token() -> str:
    """A link token: 256 random bits, URL-safe."""
    return new_token()


def link_url(settings: ApiSettings, token: str) -> str:
    """The address the recipient opens."""
    return f"{settings.public_url.rstrip('/')}{PORTAL_PATH}/{token}"


def new_access_code() -> str:
    """Eight random digits: easy to type from a text message or a letter."""
    return "".join(str(secrets.randbelow(10)) for _ in range(CODE_DIGITS))


def normalise_code(typed: str) -> str:
    """The code as typed, without spaces, dashes or dots."""
    return "".join(ch for ch in typed if ch.isalnum())


def display_code(code: str) -> str:
    """`1234 5678`: two groups, easier to read out and to type."""
    half = len(code) // 2
    return f"{code[:half]} {code[half:]}"


@dataclass(frozen=True)
class NewCode:
    """A fresh access code and its stored form."""

    code: str
    code_hash: str


async def fresh_code(passwords: Passwords) -> NewCode:
    """A new code hashed off the event loop (argon2id, like passwords)."""
    code = new_access_code()
    return NewCode(code, await passwords.hash(code))


def _link_cookie(prefix: str, settings: ApiSettings, link_token: str) -> str:
    name = prefix + token_hash(link_token)[:16]
    return f"__Host-{name}" if settings.session_cookie_secure else name


def portal_cookie_name(settings: ApiSettings, link_token: str) -> str:
    """One cookie per link, so two shares open in one browser do not log each other out."""
    return _link_cookie(_PORTAL_COOKIE, settings, link_token)


def code_form_cookie_name(settings: ApiSettings, link_token: str) -> str:
    """The cookie half of the code form's double-submit token, one per link."""
    return _link_cookie(_CODE_FORM_COOKIE, settings, link_token)
