"""What the outbox sends, as a worker receives it. Every message an API test made goes through
the real worker renderers: what the API builds in a realistic flow is what the workers can
send (the API side of the contracts). Payloads with links and codes are stored sealed under
the master key, so tests open them with the key ring, as the relay does."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from vault03_api.deliveries.models import Delivery
from vault03_api.deliveries.sealed import open_payload
from vault03_api.deliveries.service import delivery_event
from vault03_api.keyring import KeyRing
from vault03_common.events import (
    DeliveryRequested,
    EmailPayload,
    PostalPayload,
    SmsPayload,
    TelegramPayload,
)
from vault03_common.messages import KINDS
from vault03_email.render import render_email
from vault03_email.settings import EmailSettings
from vault03_notifier.text import Span, split_spans
from vault03_postal.letter import render_letter
from vault03_postal.settings import PostalSettings
from vault03_sms.message import prepare_sms
from vault03_sms.settings import SmsSettings


def render(event: DeliveryRequested) -> None:
    """Render one delivery as its channel's worker would (raises what the worker would)."""
    assert event.kind in KINDS, f"kind {event.kind!r} has no message contract"
    payload = event.payload
    match payload:
        case EmailPayload():
            render_email(event, EmailSettings())
        case SmsPayload():
            prepare_sms(event, SmsSettings())
        case PostalPayload():
            render_letter(payload, PostalSettings(), today=date(2026, 12, 1))
        case TelegramPayload():
            assert split_spans([Span(payload.text)])


def render_outbox(engine: Engine, ring: KeyRing) -> int:
    """Render every delivery in the database (sealed payloads opened); how many there were."""
    with Session(engine) as session:
        deliveries = session.exec(select(Delivery)).all()
        for delivery in deliveries:
            render(delivery_event(delivery, ring=ring))
    return len(deliveries)


def sent_payload(delivery: Delivery, ring: KeyRing) -> dict[str, Any]:
    """The payload a worker gets for `delivery` (while it is still in flight)."""
    if delivery.sealed is None:
        return delivery.payload
    return open_payload(ring, delivery_id=delivery.id, sealed=delivery.sealed)


def last_sent(
    database: Path, keys_dir: Path, kind: str, *, channel: str | None = None
) -> dict[str, Any]:
    """The last message of `kind` (over `channel`, when named) a running API queued, read from
    its database file."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        row = connection.execute(
            "SELECT id, sealed, payload FROM deliveries"
            " WHERE kind = ? AND channel = coalesce(?, channel) ORDER BY created_at DESC LIMIT 1",
            (kind, channel),
        ).fetchone()
    assert row is not None, f"no {kind} message in flight"
    if row[1] is None:  # nothing secret in it: stored as it is
        return dict(json.loads(row[2]))
    return open_payload(KeyRing.load(keys_dir), delivery_id=row[0], sealed=row[1])
