"""Portal pages: server-rendered (jinja2, autoescaped), strict headers, working without
JavaScript.

The stylesheet and the one script (progress and drag-and-drop for uploads, a progressive
enhancement) are files of our own origin (`style-src 'self'`, `script-src 'self'`), never
inline, so the page also works under the policy nginx adds in front (default-src 'self').

Each page is written in the share's language through the gettext catalogues
(`vault03_common.i18n`); a page that knows no share (an unknown link) in the office's."""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse, Response

from vault03_api.portal.exceptions import PortalError
from vault03_api.portal.service import share_language
from vault03_api.transactions import run_read
from vault03_common import i18n
from vault03_common.messages import Office

TEMPLATES = Path(__file__).parent / "templates"
STYLESHEET = "/s/assets/portal.css"
UPLOAD_SCRIPT = "/s/assets/upload.js"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}


@functools.cache
def _environment(language: str) -> jinja2.Environment:
    """The page templates, translating into `language`."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def translate(message: str, *, language: str, values: dict[str, Any] | None = None) -> str:
    """A portal text (an error's message) in `language`, placeholders filled from `values`."""
    translated = i18n.translations(language).gettext(message)
    return translated % values if values else translated


def protect(response: Response) -> Response:
    """Add the portal's security headers to any response (pages, files, redirects)."""
    response.headers.update(SECURITY_HEADERS)
    return response


def render(
    template: str,
    *,
    office: Office,
    language: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page from templates/ with the security headers, naming the office that shares, in
    `language` (the office's by default)."""
    language = language or office.language
    body = (
        _environment(language)
        .get_template(template)
        .render(
            stylesheet=STYLESHEET,
            upload_script=UPLOAD_SCRIPT,
            office=office,
            language=language,
            **context,
        )
    )
    response = HTMLResponse(body, status_code=status_code, headers=headers)
    protect(response)
    return response


def asset(name: str, media_type: str) -> Response:
    """A static file of the portal (its stylesheet, its script), cacheable for an hour."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    response = Response(text, media_type=f"{media_type}; charset=utf-8")
    protect(response)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def install_portal_pages(app: FastAPI, *, office: Office) -> None:
    """Portal errors render as pages, in the language of the link's share (the office's for
    an unknown link); share tokens never reach the API's access log."""

    @app.exception_handler(PortalError)
    async def portal_error(request: Request, exc: PortalError) -> HTMLResponse:
        token = request.path_params.get("token", "")
        language = exc.language
        if language is None and token:
            state = request.app.state.vault03
            language = await run_read(state.engine, share_language, token=token)
        language = language or office.language
        return render(
            exc.template,
            office=office,
            language=language,
            status_code=exc.status_code,
            headers=exc.headers,
            message=translate(exc.message, language=language, values=exc.values),
            token=token,
        )

    redact_share_paths()


_SHARE_PATH = re.compile(r"^/s/[^/?]+")


class _RedactSharePaths(logging.Filter):
    """uvicorn's access line has the path as its third argument: `/s/<token>...` is replaced
    by `/s/[token]...` and any query string dropped (as nginx logs it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2]
            if path.startswith("/s/"):
                path = _SHARE_PATH.sub("/s/[token]", path.split("?", 1)[0])
                record.args = (*args[:2], path, *args[3:])
        return True


def redact_share_paths() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, _RedactSharePaths) for existing in access.filters):
        access.addFilter(_RedactSharePaths())
