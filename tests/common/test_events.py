from __future__ import annotations

import pytest
from pydantic import ValidationError

from vault03_common.events import (
    DeliveryRequested,
    DeliveryStatus,
    EmailPayload,
    SmsPayload,
    status_may_follow,
)
from vault03_common.jetstream import channel_consumer


def test_payload_round_trips_by_channel() -> None:
    event = DeliveryRequested(
        delivery_id="d1", kind="access_code", payload=SmsPayload(to="+33612345678", text="123456")
    )
    parsed = DeliveryRequested.model_validate_json(event.model_dump_json())
    assert parsed == event
    assert isinstance(parsed.payload, SmsPayload)
    assert parsed.schema_version == 1


def test_sms_recipient_must_be_e164() -> None:
    with pytest.raises(ValidationError):
        SmsPayload(to="0612345678", text="hi")


def test_unknown_channel_is_rejected() -> None:
    with pytest.raises(ValidationError):
        DeliveryRequested.model_validate(
            {"delivery_id": "d", "kind": "k", "payload": {"channel": "fax", "to": "x"}}
        )


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        (DeliveryStatus.QUEUED, DeliveryStatus.PUBLISHED, True),
        (DeliveryStatus.PUBLISHED, DeliveryStatus.SENT, True),
        (DeliveryStatus.SENT, DeliveryStatus.PUBLISHED, False),  # late relay bookkeeping
        (DeliveryStatus.RETRYING, DeliveryStatus.RETRYING, True),
        (DeliveryStatus.SENT, DeliveryStatus.RETRYING, False),
        (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, True),
        (DeliveryStatus.DELIVERED, DeliveryStatus.SENT, False),  # replayed report
        (DeliveryStatus.DEAD, DeliveryStatus.SENT, False),
    ],
)
def test_status_never_moves_backwards(
    current: DeliveryStatus, new: DeliveryStatus, allowed: bool
) -> None:
    assert status_may_follow(current, new) is allowed


def test_consumer_allows_one_delivery_past_the_attempts_to_record_the_dead_letter() -> None:
    config = channel_consumer(EmailPayload.model_fields["channel"].default, max_attempts=8).config()
    assert config.max_deliver == 9
    assert config.durable_name == "worker-email"
