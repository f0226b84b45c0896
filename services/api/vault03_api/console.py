"""The staff console (ui/dist) and the API reference (/docs), served from this origin.

Under `make run` the API serves the built console itself, so the session cookie and the CSRF
rules are those of the API; in compose nginx serves the same files. Both pages load only
scripts of this origin (no inline script, no CDN): the Swagger UI assets come from the
fastapi-offline wheel.
"""

from __future__ import annotations

import re
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import FileResponse, HTMLResponse, Response

from vault03_api.auth.access import open_during_maintenance, public
from vault03_api.errors import NotFound
from vault03_api.settings import ApiSettings

SWAGGER_ASSETS = Path(fastapi_offline.__file__).parent / "static"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
# Swagger UI styles some elements inline; it runs no inline script.
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_ASSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>VAULT03 API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-init.js"></script>
</body>
</html>
"""
DOCS_INIT = (
    'SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,'
    " presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout'});\n"
)


def _headers(policy: str = CONTENT_SECURITY_POLICY) -> dict[str, str]:
    return {"Content-Security-Policy": policy, **HEADERS}


class ConsoleNotBuilt(NotFound):
    """The API runs without the built console (compose: nginx serves it)."""

    def __init__(self) -> None:
        super().__init__(
            "the staff console is not served here",
            detail="build it with `cd ui && pnpm build` and set VAULT03_API_UI_DIR, or `make run`",
        )


def _ui_dir(settings: ApiSettings) -> Path:
    if settings.ui_dir is None or not (settings.ui_dir / "index.html").is_file():
        raise ConsoleNotBuilt()
    return settings.ui_dir


# `make run` starts the fleet while it builds the console beside it: a browser opened at once
# (or on a machine without Node.js) gets this page rather than a JSON 404. It reloads itself
# with a meta refresh, as the console's policy allows no inline script.
CONSOLE_PENDING_SECONDS = 5
CONSOLE_PENDING_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="{CONSOLE_PENDING_SECONDS}">
<title>VAULT03: the console is not built yet</title>
</head>
<body>
<h1>The staff console is not built yet</h1>
<p><code>make run</code> builds it beside the starting fleet; this page reloads every
{CONSOLE_PENDING_SECONDS} seconds until it is there.</p>
<p>Building it takes Node.js 20 or newer (Debian: <code>apt-get install nodejs npm</code>,
then <code>make ui</code>). The API answers meanwhile: its reference is at
<a href="/docs">/docs</a>.</p>
</body>
</html>
"""


def console_page(settings: ApiSettings) -> Response:
    """The console's single page; its own router shows the right screen."""
    if settings.ui_dir is None:
        raise ConsoleNotBuilt()
    index = settings.ui_dir / "index.html"
    if not index.is_file():
        return HTMLResponse(
            CONSOLE_PENDING_PAGE,
            status_code=503,
            headers={
                **_headers(),
                "Retry-After": str(CONSOLE_PENDING_SECONDS),
                "Cache-Control": "no-store",
            },
        )
    return FileResponse(index, headers={**_headers(), "Cache-Control": "no-cache"})


def console_asset(settings: ApiSettings, name: str) -> Response:
    """A built script, stylesheet or image; their names carry a content hash."""
    path = _ui_dir(settings) / "assets" / name
    if not _ASSET_NAME.fullmatch(name) or not path.is_file():
        raise NotFound("no such file")
    return FileResponse(
        path, headers={**_headers(), "Cache-Control": "public, max-age=31536000, immutable"}
    )


def install_console(app: FastAPI, settings: ApiSettings) -> None:
    """Serve the console at / (and /set-password, the emails' link) and the API reference."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    @open_during_maintenance
    @public
    def index() -> Response:
        return console_page(settings)

    @router.get("/set-password")
    @open_during_maintenance
    @public
    def set_password_page() -> Response:
        return console_page(settings)

    @router.get("/assets/{name}")
    @open_during_maintenance
    @public
    def asset(name: str) -> Response:
        return console_asset(settings, name)

    @router.get("/docs")
    @public
    def docs() -> Response:
        return HTMLResponse(DOCS_PAGE, headers=_headers(DOCS_CONTENT_SECURITY_POLICY))

    @router.get("/docs/swagger-init.js")
    @public
    def docs_init() -> Response:
        return Response(DOCS_INIT, media_type="text/javascript", headers=_headers())

    app.include_router(router)
    app.mount("/docs/assets", StaticFiles(directory=SWAGGER_ASSETS), name="docs-assets")
