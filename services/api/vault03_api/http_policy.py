"""The browser-facing rules that the staff API and the portal share: how a session cookie is
set and cleared, and whether a request's Origin names a site other than ours."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import Response

from vault03_api.settings import ApiSettings


def set_session_cookie(
    response: Response, name: str, value: str, *, max_age: int, settings: ApiSettings
) -> None:
    """A session cookie only our own pages send back (HttpOnly, SameSite=Strict, whole site)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, name: str, *, settings: ApiSettings) -> None:
    """Remove a cookie set by `set_session_cookie` (same attributes, or browsers keep it)."""
    response.delete_cookie(
        name,
        path="/",
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def foreign_origin(origin: str, settings: ApiSettings) -> bool:
    """Whether an Origin header names a site other than the API's public URL."""
    ours = urlsplit(settings.public_url)
    return origin.rstrip("/") != f"{ours.scheme}://{ours.netloc}"
