"""The customer portal (`/s/{token}`): public to staff authentication, guarded by the share's
own code and portal session. Every answer is a page (or a file) with strict headers."""

from __future__ import annotations

import functools
import hmac
import mimetypes
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from vault03_api import clock
from vault03_api.audit.context import current
from vault03_api.auth.access import open_during_maintenance, public
from vault03_api.deps import StateDep
from vault03_api.errors import AppError
from vault03_api.http_policy import clear_session_cookie, foreign_origin, set_session_cookie
from vault03_api.portal import pages
from vault03_api.portal import service as portal
from vault03_api.portal.exceptions import PortalError, UploadLimitReached
from vault03_api.settings import ApiSettings
from vault03_api.shares.credentials import (
    code_form_cookie_name,
    normalise_code,
    portal_cookie_name,
)
from vault03_api.shares.service import downloads_left
from vault03_api.shown import shown_size
from vault03_api.state import AppState
from vault03_api.tokens import new_token
from vault03_api.transactions import run_read, run_write
from vault03_api.vaults.exceptions import BadUpload, TooLarge
from vault03_api.vaults.models import StoredFile
from vault03_api.vaults.multipart import FormBroken, MultipartFile
from vault03_api.vaults.service import DEFAULT_MEDIA_TYPE, sanitise_filename
from vault03_api.vaults.transfer import download_response, receive_file, send_file
from vault03_common.i18n import N_

router = APIRouter(prefix="/s", tags=["portal"])

CODE_FORM_SECONDS = 24 * 3600  # a code page left open for a day still works
FORM_TOKEN_LENGTH = len(new_token())


_CHANNEL_TEXT = {
    "sms": N_(
        "Documents are waiting for you. To open them, enter the access code that reached you "
        "separately by text message."
    ),
    "postal": N_(
        "Documents are waiting for you. To open them, enter the access code that reached you "
        "separately by post."
    ),
    "email": N_(
        "Documents are waiting for you. To open them, enter the access code that reached you "
        "separately in another email."
    ),
}
# What the portal says of errors the staff API words for staff (others get the generic one).
_PORTAL_MESSAGES: dict[type[AppError], str] = {
    TooLarge: N_("This document is larger than the office accepts."),
    BadUpload: N_("This document could not be received: choose a file and send it again."),
    UploadLimitReached: N_(
        "This share has received the most documents it accepts. "
        "Ask the sender for a new share to send more."
    ),
}
_SOMETHING_WRONG = N_("This could not be done. Try again later, or contact the office.")
_HTML: dict[str, Any] = {"content": {"text/html": {}}}
MAX_FORM_FILES = 20  # documents in one upload form


def _visitor() -> portal.Visitor:
    context = current()
    return portal.Visitor(ip=context.ip, user_agent=context.user_agent)


def _cookie(request: Request, settings: ApiSettings, token: str) -> str | None:
    return request.cookies.get(portal_cookie_name(settings, token))


def _same_origin(request: Request, settings: ApiSettings) -> None:
    # A form posted from a named other site is refused, and so is one the browser says came
    # from another site (Sec-Fetch-Site). Under Referrer-Policy no-referrer browsers send
    # `Origin: null` even for our own forms, so the real guards are SameSite=Strict cookies
    # and a token in every form: the session's CSRF token, or the code form's double submit.
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise PortalError(403, N_("This form must be sent from the page itself."))
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return
    if foreign_origin(origin, settings):
        raise PortalError(403, N_("This form must be sent from the page itself."))


@router.get("/assets/portal.css", include_in_schema=False)
@open_during_maintenance  # the maintenance page is styled by it
@public
def stylesheet() -> Response:
    """The portal's stylesheet."""
    return pages.asset("portal.css", "text/css")


@router.get("/assets/upload.js", include_in_schema=False)
@public
def upload_script() -> Response:
    """The upload form's script: per-file progress and drag-and-drop (the form works without)."""
    return pages.asset("upload.js", "text/javascript")


def _form_token(request: Request, settings: ApiSettings, token: str) -> str | None:
    return request.cookies.get(code_form_cookie_name(settings, token))


def _code_page(
    token: str,
    channel: str,
    *,
    language: str,
    form_token: str | None,
    settings: ApiSettings,
    error: str | None,
    status_code: int,
) -> Response:
    # The form carries the same random value as a SameSite=Strict cookie for this link
    # (double submit): a page on another site can post the form, but the victim's browser
    # sends it no such cookie, so nobody is logged into someone else's share (login CSRF).
    form_token = form_token if form_token and len(form_token) == FORM_TOKEN_LENGTH else None
    form_token = form_token or new_token()
    response = pages.render(
        "code.html.j2",
        office=settings.office,
        language=language,
        status_code=status_code,
        token=token,
        channel_text=pages.translate(_CHANNEL_TEXT[channel], language=language),
        error=error,
        form_token=form_token,
    )
    name = code_form_cookie_name(settings, token)
    set_session_cookie(response, name, form_token, max_age=CODE_FORM_SECONDS, settings=settings)
    return response


def _check_form_token(request: Request, settings: ApiSettings, token: str, sent: str) -> None:
    held = _form_token(request, settings, token) or ""
    if not held or not hmac.compare_digest(held.encode(), sent.encode()):
        raise PortalError(
            403,
            N_(
                "This form must be sent from the link's own page: open your link again and "
                "enter the code there."
            ),
        )


def _locked(seconds: int, *, language: str) -> PortalError:
    minutes = max(1, round(seconds / 60))
    return PortalError(
        429,
        N_("This link accepts no more codes for about %(minutes)s minute(s)."),
        template="locked.html.j2",
        headers={"Retry-After": str(seconds)},
        values={"minutes": minutes},
        language=language,
    )


@router.get("/{token}", response_class=Response, responses={200: _HTML, 410: _HTML})
@public
async def view(
    token: str,
    request: Request,
    state: StateDep,
    uploaded: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    refused: Annotated[list[str], Query()] = [],  # noqa: B006
) -> Response:
    """The link's page: the access code form, or with a portal session the documents."""
    settings = state.settings
    page = await run_write(
        state.engine,
        portal.open_page,
        token=token,
        cookie=_cookie(request, settings, token),
        visitor=_visitor(),
        settings=settings,
        now=clock.utcnow(),
    )
    share = page.share
    language = share.language
    if page.portal is None:
        if page.locked_seconds is not None:
            raise _locked(page.locked_seconds, language=language)
        return _code_page(
            token,
            share.code_channel,
            language=language,
            form_token=_form_token(request, settings, token),
            settings=settings,
            error=None,
            status_code=200,
        )

    def rows(files: list[StoredFile]) -> list[dict[str, Any]]:
        return [
            {
                "id": stored.id,
                "name": stored.name,
                "size_text": shown_size(stored.size, language=language),
                "added": settings.shown_time(stored.created_at, language=language),
                "added_iso": stored.created_at.isoformat(),
                "preview": preview_type(stored) is not None,
            }
            for stored in files
        ]

    return pages.render(
        "files.html.j2",
        office=settings.office,
        language=language,
        token=token,
        vault_name=page.vault.name,
        note=share.note,
        expires_at=settings.shown_time(share.expires_at, language=language),
        expires_iso=share.expires_at.isoformat(),
        downloads_left=downloads_left(share) if share.can_download else None,
        can_download=share.can_download,
        can_upload=share.can_upload,
        files=rows(page.for_you),
        sent=rows(page.sent),
        csrf_token=page.portal.csrf_token,
        max_size_text=shown_size(settings.max_file_bytes, language=language),
        max_files=MAX_FORM_FILES,
        uploaded=uploaded[:MAX_FORM_FILES],
        refused=[
            {
                "name": name,
                "reason": pages.translate(
                    REFUSAL_TEXT[reason], language=language, values={"most": MAX_FORM_FILES}
                ),
            }
            for reason, _, name in (item.partition(":") for item in refused[:MAX_FORM_FILES])
            if reason in REFUSAL_TEXT
        ],
    )


@router.post(
    "/{token}/code",
    response_class=Response,
    responses={
        303: {"description": "Right code: to the documents"},
        401: _HTML,
        403: _HTML,
        410: _HTML,
    },
)
@public
async def enter_code(
    token: str,
    code: Annotated[str, Form(min_length=1, max_length=50)],
    request: Request,
    state: StateDep,
    form_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Check the access code; the right one opens a portal session (cookie) for this link."""
    settings = state.settings
    _same_origin(request, settings)
    _check_form_token(request, settings, token, form_token)
    gate = await run_read(
        state.engine,
        portal.begin_code,
        token=token,
        in_flight=state.attempts,
        settings=settings,
        now=clock.utcnow(),
    )
    if gate.locked_seconds is not None:
        await run_write(
            state.engine,
            portal.refused_attempt,
            token=token,
            visitor=_visitor(),
            now=clock.utcnow(),
        )
        raise _locked(gate.locked_seconds, language=gate.language)
    try:
        verdict = await state.passwords.verify(gate.code_hash, normalise_code(code))
        result = await run_write(
            state.engine,
            portal.finish_code,
            token=token,
            checked_hash=gate.code_hash,
            verified=verdict.ok,
            visitor=_visitor(),
            settings=settings,
            now=clock.utcnow(),
        )
    finally:
        state.attempts.release([gate.key])
    if result.opened is not None:
        return _signed_in(token, result.opened, settings)
    if result.locked_seconds is not None:
        raise _locked(result.locked_seconds, language=gate.language)
    error = pages.translate(
        N_(
            "This code is not right. Check it and try again "
            "(%(left)s attempt(s) left before the link locks)."
        ),
        language=gate.language,
        values={"left": result.attempts_left},
    )
    return _code_page(
        token,
        result.code_channel,
        language=gate.language,
        form_token=form_token,
        settings=settings,
        error=error,
        status_code=401,
    )


def _signed_in(token: str, opened: portal.Opened, settings: ApiSettings) -> Response:
    response = RedirectResponse(f"/s/{token}", status_code=303)
    lifetime = int((opened.row.expires_at - opened.row.created_at).total_seconds())
    set_session_cookie(
        response,
        portal_cookie_name(settings, token),
        opened.token,
        max_age=lifetime,
        settings=settings,
    )
    pages.protect(response)
    return response


def _portal_error(error: AppError) -> PortalError:
    message = _PORTAL_MESSAGES.get(type(error), _SOMETHING_WRONG)
    return PortalError(error.status_code, message, headers=error.headers)


_FILE_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}},
    206: {"content": {"application/octet-stream": {}}},
    401: _HTML,
    403: _HTML,
    404: _HTML,
    410: _HTML,
    503: _HTML,
}
# Shown in the browser by the preview: images and PDFs, never active content (SVG, HTML...).
PREVIEW_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})


def preview_type(stored: StoredFile) -> str | None:
    """The type a document is previewed as: its own, or for one stored without a type
    (octet-stream) the one its name says; None when that is not a previewable type."""
    shown = stored.content_type
    if shown == DEFAULT_MEDIA_TYPE:
        shown = mimetypes.guess_type(stored.name, strict=False)[0] or shown
    return shown if shown in PREVIEW_TYPES else None


async def _send(
    token: str, file_id: str, request: Request, state: StateDep, *, preview: bool
) -> Response:
    range_header = request.headers.get("range")
    admitted = await run_write(
        state.engine,
        portal.begin_download,
        token=token,
        cookie=_cookie(request, state.settings, token),
        file_id=file_id,
        range_header=range_header,
        visitor=_visitor(),
        settings=state.settings,
        now=clock.utcnow(),
    )
    if isinstance(admitted, portal.Refusal):
        raise admitted.error()
    try:
        outgoing = await send_file(
            engine=state.engine,
            blobs=state.blobs,
            ring=state.keyring,
            file_id=admitted.id,
            range_header=range_header,
        )
    except AppError as error:
        raise _portal_error(error) from None
    response = pages.protect(download_response(outgoing))
    shown = preview_type(admitted) if preview else None
    if shown is not None:
        # Shown inline, but as a sandboxed document of its own: no script, no same origin.
        disposition = response.headers["content-disposition"]
        response.headers["Content-Disposition"] = disposition.replace("attachment", "inline", 1)
        response.headers["Content-Type"] = shown
        response.headers["Content-Security-Policy"] = "sandbox"
    return response


@router.get("/{token}/files/{file_id}", response_class=Response, responses=_FILE_ANSWERS)
@public
async def download(token: str, file_id: str, request: Request, state: StateDep) -> Response:
    """A document, streamed and decrypted; one `Range: bytes=` range is honoured (206)."""
    return await _send(token, file_id, request, state, preview=False)


@router.get("/{token}/files/{file_id}/preview", response_class=Response, responses=_FILE_ANSWERS)
@public
async def preview(token: str, file_id: str, request: Request, state: StateDep) -> Response:
    """A PDF or an image shown in the browser (sandboxed; counted like a download); any other
    document is sent as a download."""
    return await _send(token, file_id, request, state, preview=True)


@dataclass(frozen=True)
class Received:
    """What became of one file of an upload form: stored under `name`, or refused."""

    name: str
    error: AppError | None = None

    @property
    def reason(self) -> str:
        return _reason(self.error) if self.error else ""


# Why a file was not received, as the page says it (the key travels in the redirect).
REFUSAL_TEXT = {
    "too_large": N_("it is larger than this share accepts"),
    "limit": N_("this share has received as many documents as it accepts"),
    "too_many": N_("one form sends at most %(most)s documents: send it again"),
    "unreadable": N_("it could not be read: send it again"),
}


def _reason(error: AppError) -> str:
    if isinstance(error, TooLarge):
        return "too_large"
    if isinstance(error, UploadLimitReached):
        return "limit"
    if isinstance(error, TooManyFiles):
        return "too_many"
    return "unreadable"


class TooManyFiles(AppError):
    status_code = 413

    def __init__(self) -> None:
        super().__init__(f"One form sends at most {MAX_FORM_FILES} documents.")


@router.post(
    "/{token}/files",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "With Accept: JSON"},
        303: {"description": "Received: back to the page, which reports each file"},
        400: _HTML,
        401: _HTML,
        403: _HTML,
        410: _HTML,
        413: _HTML,
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                                "maxItems": MAX_FORM_FILES,
                            }
                        },
                        "required": ["file"],
                    }
                }
            },
            "required": True,
        }
    },
)
@public
async def upload(
    token: str,
    request: Request,
    state: StateDep,
    csrf: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Send documents back: each `file` field of the form, streamed into the vault, encrypted,
    and reported one by one (a page script asks for JSON to follow each file's progress)."""
    settings = state.settings
    _same_origin(request, settings)
    admitted = await run_write(
        state.engine,
        portal.begin_upload,
        token=token,
        cookie=_cookie(request, settings, token),
        csrf=csrf,
        visitor=_visitor(),
        settings=settings,
        now=clock.utcnow(),
    )
    if isinstance(admitted, portal.Refusal):
        raise admitted.error()
    assert admitted.id is not None
    results = await _receive_all(
        state, share_id=admitted.id, vault_id=admitted.vault_id, request=request
    )
    received = [result for result in results if result.error is None]
    if "application/json" in request.headers.get("accept", ""):
        body = {
            "files": [
                {
                    "name": result.name,
                    "received": result.error is None,
                    "reason": result.reason or None,
                    "message": pages.translate(
                        REFUSAL_TEXT[result.reason],
                        language=admitted.language,
                        values={"most": MAX_FORM_FILES},
                    )
                    if result.error and result.reason in REFUSAL_TEXT
                    else None,
                }
                for result in results
            ]
        }
        status_code = 200 if received else (results[0].error or BadUpload("")).status_code
        return pages.protect(JSONResponse(body, status_code=status_code))
    if not received:
        first = results[0].error
        assert first is not None
        raise _portal_error(first)
    query = [("uploaded", result.name) for result in received] + [
        ("refused", f"{result.reason}:{result.name}") for result in results if result.error
    ]
    response = RedirectResponse(f"/s/{token}?{urlencode(query, quote_via=quote)}", status_code=303)
    return pages.protect(response)


async def _receive_all(
    state: AppState, *, share_id: int, vault_id: int, request: Request
) -> list[Received]:
    """Every file of the form, one after the other; a file refused does not stop the next,
    a form that cannot be read further does."""
    form = MultipartFile(
        request.stream(),
        content_type=request.headers.get("content-type", ""),
        limit=state.settings.max_file_bytes,
        files=MAX_FORM_FILES,
    )
    results: list[Received] = []
    while True:
        try:
            if not await form.next_file():
                break
        except FormBroken as error:
            if not results:
                await _log_refused(state, share_id=share_id, name=None, error=error)
                raise _portal_error(error) from None
            break
        if len(results) >= MAX_FORM_FILES:
            refused = Received(form.filename[:200], TooManyFiles())
            await _log_refused(state, share_id=share_id, name=refused.name, error=TooManyFiles())
            results.append(refused)
            continue
        result = await _receive(state, form, share_id=share_id, vault_id=vault_id)
        results.append(result)
        if isinstance(result.error, FormBroken):
            break
    if not results:
        empty = BadUpload("the form has no `file` field")
        await _log_refused(state, share_id=share_id, name=None, error=empty)
        raise _portal_error(empty)
    return results


async def _log_refused(
    state: AppState, *, share_id: int, name: str | None, error: AppError
) -> None:
    await run_write(
        state.engine,
        portal.finish_upload,
        share_id=share_id,
        stored=None,
        outcome=type(error).__name__,
        file_name=name,
        visitor=_visitor(),
        settings=state.settings,
        now=clock.utcnow(),
    )


async def _receive(
    state: AppState, form: MultipartFile, *, share_id: int, vault_id: int
) -> Received:
    name: str | None = None
    try:
        name = sanitise_filename(form.filename)
        stored = await receive_file(
            engine=state.engine,
            blobs=state.blobs,
            ring=state.keyring,
            max_file_bytes=state.settings.max_file_bytes,
            vault_id=vault_id,
            name=name,
            # A new version only of a document sent through this share, never of a staff file.
            supersedes=portal.sent_through(share_id),
            content_type=form.content_type,
            body=form.body(),
            declared_size=None,
            uploaded_by=None,
            on_record=functools.partial(
                portal.record_upload,
                share_id=share_id,
                visitor=_visitor(),
                settings=state.settings,
                now=clock.utcnow(),
            ),
        )
    except AppError as error:
        await _log_refused(state, share_id=share_id, name=name, error=error)
        return Received(name or form.filename[:200], error)
    return Received(stored.name)


@router.post(
    "/{token}/logout",
    response_class=Response,
    responses={303: {}, 401: _HTML, 403: _HTML, 410: _HTML},
)
@public
async def logout(
    token: str,
    request: Request,
    state: StateDep,
    csrf: Annotated[str, Form(min_length=1, max_length=100)],
) -> Response:
    """End the portal session (the link keeps working with the code)."""
    settings = state.settings
    _same_origin(request, settings)
    await run_write(
        state.engine,
        portal.end_session,
        token=token,
        cookie=_cookie(request, settings, token),
        csrf=csrf,
        visitor=_visitor(),
        settings=settings,
        now=clock.utcnow(),
    )
    response = RedirectResponse(f"/s/{token}", status_code=303)
    clear_session_cookie(response, portal_cookie_name(settings, token), settings=settings)
    return pages.protect(response)
