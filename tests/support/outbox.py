"""Every message an API test made goes through the real worker renderers: what the API
builds in a realistic flow is what the workers can send (the API side of the contracts)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, select

from vault03_api.deliveries.models import Delivery
from vault03_api.deliveries.service import delivery_event
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


def render_outbox(engine: Engine) -> int:
    """Render every delivery in the database; how many there were."""
    with Session(engine) as session:
        deliveries = session.exec(select(Delivery)).all()
        for delivery in deliveries:
            render(delivery_event(delivery))
    return len(deliveries)
