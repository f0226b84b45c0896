"""Alerts to the operators (their Telegram chat), raised by any domain through the outbox."""

from __future__ import annotations

from sqlmodel import Session

from vault03_api.deliveries.service import enqueue_delivery
from vault03_common.messages import SecurityAlert


def alert_operators(session: Session, *, text: str) -> None:
    """A Telegram message to the operators' chat, through the outbox."""
    enqueue_delivery(session, outgoing=SecurityAlert(text=f"VAULT03: {text}").telegram())
