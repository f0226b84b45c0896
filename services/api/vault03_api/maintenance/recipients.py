"""Who is told about a maintenance window: staff always, share recipients on request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from vault03_api.auth.models import User


@dataclass(frozen=True)
class Recipient:
    """An email address to notify, with the name to greet."""

    email: str
    name: str | None = None


def staff_recipients(session: Session) -> list[Recipient]:
    """Every active staff user (`deleted_at` NULL), whatever the role."""
    users = session.exec(select(User).where(col(User.deleted_at).is_(None)).order_by(col(User.id)))
    return [Recipient(email=user.email, name=user.name) for user in users]


def active_share_recipients(session: Session, *, now: datetime) -> list[Recipient]:
    """Recipients of the shares that are active at `now` (not revoked, not expired).

    To be filled in by the shares domain: it owns the `shares` table and knows what makes a
    share active. Until it does there are no shares, so nobody is returned and
    `--notify-share-recipients` reaches staff only (the CLI prints both counts).
    """
    return []


def unique(recipients: Iterable[Recipient]) -> list[Recipient]:
    """One message per address (case-insensitive), the first name seen kept."""
    seen: dict[str, Recipient] = {}
    for recipient in recipients:
        seen.setdefault(recipient.email.strip().lower(), recipient)
    return list(seen.values())
