"""One error base for the API and the handlers that render every error as the same JSON."""

from __future__ import annotations

import errno
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

log = logging.getLogger(__name__)


class AppError(Exception):
    """An error the client should see: a short message, an HTTP status and optional detail."""

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        detail: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.headers = headers
        if status_code is not None:
            self.status_code = status_code


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class StorageFull(AppError):
    """The server's disk is full: nothing of the request was stored."""

    status_code = 507

    def __init__(self) -> None:
        super().__init__(
            "storage full",
            detail="the server's disk is full: nothing was stored; try again once an operator "
            "has freed space",
        )


DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# SQLite's message for SQLITE_FULL: pysqlite3's errors carry no error code.
SQLITE_FULL_MESSAGE = "database or disk is full"


def disk_full_cause(exc: BaseException) -> str | None:
    """What says the disk is full in `exc` or what caused it (None when it is something else).

    Only the OS's or SQLite's own words: a driver error's text would hold the statement and
    its parameters."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno in DISK_FULL_ERRNOS:
            return cause.strerror or "no space left on device"
        if isinstance(cause, DBAPIError) and SQLITE_FULL_MESSAGE in str(cause.orig):
            return SQLITE_FULL_MESSAGE
        cause = cause.__cause__
    return None


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str
    detail: Any = None


def error_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the errors a route can raise."""
    return {error.status_code: {"model": ErrorBody} for error in errors}


def _body(error: str, detail: Any = None) -> dict[str, Any]:
    return ErrorBody(error=error, detail=jsonable_encoder(detail)).model_dump()


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    """Render every error as `{"error", "detail"}`: AppError, validation errors, unknown
    routes, a full disk (507), and anything unexpected (500, logged by the server)."""

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(
            _body(exc.message, exc.detail), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg"), "type": err.get("type")}
            for err in exc.errors()
        ]
        return JSONResponse(_body("invalid request", detail), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return JSONResponse(_body(str(exc.detail)), status_code=exc.status_code, headers=headers)

    async def storage_full(request: Request, exc: Exception) -> JSONResponse:
        cause = disk_full_cause(exc)
        if cause is None:
            raise exc  # to the 500 below
        log.error("request refused: the disk is full", extra={"error": cause})
        error = StorageFull()
        return JSONResponse(_body(error.message, error.detail), status_code=error.status_code)

    # Where a full disk shows: writing a blob (OSError) and writing the database (SQLite).
    app.add_exception_handler(OSError, storage_full)
    app.add_exception_handler(DBAPIError, storage_full)

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        # The client went away (or was dropped for stalling) mid-body: nobody reads this.
        log.info(
            "client disconnected before its request was read", extra={"method": request.method}
        )
        return JSONResponse(_body("client disconnected"), status_code=400)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        # Starlette raises the error on after this response, so the server logs it in full.
        return JSONResponse(_body("internal error"), status_code=500)
