"""One SMS ready to send: checked against the sender, recipient and length limits."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vault03_common.events import DeliveryRequested, SmsPayload
from vault03_common.runtime import PermanentError
from vault03_sms.segments import SmsLength, measure
from vault03_sms.settings import SmsSettings

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True)
class OutgoingSms:
    delivery_id: str
    kind: str
    sender: str
    to: str  # E.164, with the plus
    text: str
    length: SmsLength


def prepare_sms(event: DeliveryRequested, settings: SmsSettings) -> OutgoingSms:
    """The message to send; a bad recipient or a text over the segment limit is permanent."""
    payload = event.payload
    if not isinstance(payload, SmsPayload):
        raise PermanentError(f"sms worker got a {payload.channel.value} payload")
    if not E164.match(payload.to):
        raise PermanentError(f"recipient {payload.to!r} is not an E.164 number")
    if not payload.text.strip():
        raise PermanentError("the SMS text is empty")
    length = measure(payload.text)
    if length.segments > settings.max_segments:
        raise PermanentError(
            f"SMS text needs {length.segments} segments ({length.units} {length.encoding} units),"
            f" more than the configured maximum of {settings.max_segments}"
        )
    return OutgoingSms(
        delivery_id=event.delivery_id,
        kind=event.kind,
        sender=settings.sender,
        to=payload.to,
        text=payload.text,
        length=length,
    )
