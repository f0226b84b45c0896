"""Errors of the portal: rendered as pages, never as JSON."""

from __future__ import annotations

from typing import Any

from vault03_api.errors import AppError
from vault03_common.i18n import N_


class UploadLimitReached(AppError):
    """The share has received as many documents as a share may (`share_max_uploads`)."""

    status_code = 403

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This share has received {limit} documents, the most it accepts. "
            "Ask the sender for a new share to send more.",
            detail={"limit": limit},
        )


class PortalError(Exception):
    """A portal request that ends on an error page: its status, template and message.

    `message` is the English text (a catalogue's msgid, `%(name)s` placeholders filled from
    `values`), translated into `language` (the share's; the office's when unknown) on the page.
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        template: str = "error.html.j2",
        headers: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        language: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.template = template
        self.headers = headers or {}
        self.values = values or {}
        self.language = language


class LinkGone(PortalError):
    """One answer for unknown, expired, revoked and used-up links (see docs/shares.md)."""

    def __init__(self) -> None:
        super().__init__(410, N_("This link is no longer valid."), template="gone.html.j2")
