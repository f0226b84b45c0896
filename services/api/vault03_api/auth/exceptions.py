"""Errors of staff identity, rendered as `{"error", "detail"}` by the one handler."""

from __future__ import annotations

from vault03_api.errors import AppError


class NotAuthenticated(AppError):
    status_code = 401

    def __init__(self) -> None:
        super().__init__("authentication required")


class InvalidCredentials(AppError):
    """The same answer for an unknown email, a wrong password and a disabled account."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__("invalid email or password")


class InvalidCode(AppError):
    status_code = 401

    def __init__(self) -> None:
        super().__init__("invalid or already used code")


class Forbidden(AppError):
    status_code = 403


class TooManyAttempts(AppError):
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "too many failed attempts; try again later",
            detail={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


class InvalidLink(AppError):
    status_code = 400

    def __init__(self) -> None:
        super().__init__("this link is invalid, already used, or expired")


class WeakPassword(AppError):
    status_code = 400


class IdentityConflict(AppError):
    status_code = 409
