"""Errors of shares (staff API)."""

from __future__ import annotations

from vault03_api.errors import AppError, NotFound


class ShareNotFound(NotFound):
    def __init__(self, share_id: int) -> None:
        super().__init__(f"share {share_id} not found")


class InvalidShare(AppError):
    """A share that cannot be made as asked (no reachable code channel, bad expiry, ...)."""

    status_code = 400


class ShareClosed(AppError):
    """The share is revoked or expired: it cannot be resent or extended."""

    status_code = 409


class InvalidSharedFiles(AppError):
    """Chosen files that a share cannot open: unknown, deleted, or of another vault."""

    status_code = 422
