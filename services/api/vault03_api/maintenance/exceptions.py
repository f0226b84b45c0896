"""Errors of the maintenance domain."""

from __future__ import annotations

from typing import Any

from vault03_api.errors import AppError, Conflict, NotFound


class UnderMaintenance(AppError):
    """503 to everyone but admins while maintenance is on (HTML for browsers, see page.py)."""

    status_code = 503

    def __init__(self, *, retry_after: int, detail: dict[str, Any]) -> None:
        super().__init__(
            "VAULT03 is down for maintenance",
            detail=detail,
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class InvalidWindow(AppError):
    """A window that cannot be announced: too short a notice, in the past, no duration."""

    status_code = 422


class WindowNotFound(NotFound):
    def __init__(self, window_id: int) -> None:
        super().__init__(f"maintenance window {window_id} not found")


class MaintenanceConflict(Conflict):
    """Maintenance already on (or not on), or a window that can no longer change."""
