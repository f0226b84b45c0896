"""The 503 answer during maintenance: an HTML page for browsers, JSON for API clients.

The page names the office (customers see it on their share links too), gives the end in the
office's time zone and reloads itself with a meta refresh: no inline script or style, so the
strict policy nginx adds in front (default-src 'self') leaves it whole."""

from __future__ import annotations

import functools

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from vault03_api.errors import ErrorBody
from vault03_api.maintenance.exceptions import UnderMaintenance
from vault03_api.settings import ApiSettings
from vault03_api.timestamps import from_text
from vault03_common import i18n


@functools.cache
def _templates(language: str) -> jinja2.Environment:
    """The page's template, in `language` (the office's: the database may be closed)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vault03_api.maintenance", "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def _quality(accept: str, media_type: str) -> float:
    """The q-value an Accept header gives a media type (exact, type/*, then */*)."""
    kind = media_type.split("/")[0]
    best: tuple[int, float] = (-1, 0.0)
    for part in accept.split(","):
        name, *params = (piece.strip() for piece in part.split(";"))
        rank = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(name.lower())
        if rank is None or rank < best[0]:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best = (rank, quality)
    return best[1]


def wants_html(request: Request) -> bool:
    """True when the client prefers HTML to JSON (a browser), not for API clients or curl."""
    accept = request.headers.get("accept", "")
    return _quality(accept, "text/html") > _quality(accept, "application/json")


def maintenance_response(
    request: Request, exc: UnderMaintenance, *, settings: ApiSettings
) -> Response:
    """503 with Retry-After, rendered for whoever asks."""
    headers = {**(exc.headers or {}), "Cache-Control": "no-store", "Vary": "Accept"}
    if wants_html(request):
        detail = exc.detail or {}
        html = (
            _templates(settings.language)
            .get_template("maintenance.html.j2")
            .render(
                office=settings.office,
                language=settings.language,
                message=detail.get("message", ""),
                until=settings.shown_time(from_text(detail["until"])),
                retry_after=exc.retry_after,
            )
        )
        return HTMLResponse(html, status_code=503, headers=headers)
    body = ErrorBody(error=exc.message, detail=exc.detail).model_dump()
    return JSONResponse(body, status_code=503, headers=headers)


def install_maintenance_page(app: FastAPI, *, settings: ApiSettings) -> None:
    """Render UnderMaintenance before the generic AppError handler sees it."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnderMaintenance)
        return maintenance_response(request, exc, settings=settings)

    app.add_exception_handler(UnderMaintenance, handler)
