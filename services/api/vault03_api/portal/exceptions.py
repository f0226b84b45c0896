"""Errors of the portal: rendered as pages, never as JSON."""

from __future__ import annotations


class PortalError(Exception):
    """A portal request that ends on an error page: its status, template and message."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        template: str = "error.html.j2",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.template = template
        self.headers = headers or {}


class LinkGone(PortalError):
    """One answer for unknown, expired, revoked and used-up links (see docs/shares.md)."""

    def __init__(self) -> None:
        super().__init__(410, "This link is no longer valid.", template="gone.html.j2")
