"""Who is told about a maintenance window: staff always, share recipients on request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from vault03_api.auth.models import User
from vault03_api.shares.models import Share
from vault03_api.shares.service import link_is_dead


@dataclass(frozen=True)
class Recipient:
    """An email address to notify, with the name to greet."""

    email: str
    name: str | None = None
    language: str | None = None
    """The recipient's language (a share's); None: the office's."""


def staff_recipients(session: Session) -> list[Recipient]:
    """Every active staff user (`deleted_at` NULL), whatever the role."""
    users = session.exec(select(User).where(col(User.deleted_at).is_(None)).order_by(col(User.id)))
    return [Recipient(email=user.email, name=user.name) for user in users]


def active_share_recipients(session: Session, *, now: datetime) -> list[Recipient]:
    """Recipients of the shares whose links still work at `now` (not revoked, expired or
    used up): they may try to open them during the window."""
    shares = session.exec(
        select(Share).where(col(Share.revoked_at).is_(None), col(Share.expires_at) > now)
    ).all()
    return [
        Recipient(email=share.recipient_email, name=share.recipient_name, language=share.language)
        for share in shares
        if not link_is_dead(share, now=now)
    ]


def unique(recipients: Iterable[Recipient]) -> list[Recipient]:
    """One message per address (case-insensitive), the first name seen kept."""
    seen: dict[str, Recipient] = {}
    for recipient in recipients:
        seen.setdefault(recipient.email.strip().lower(), recipient)
    return list(seen.values())
