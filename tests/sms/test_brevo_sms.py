from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest
from pydantic import ValidationError

from tests.support import NatsServer, free_port
from tests.support.fakes import BREVO_KEY, FakeServer, fake_brevo
from tests.support.workers import bus, running
from vault03_common.events import Channel, DeliveryRequested, DeliveryStatus, SmsPayload
from vault03_common.runtime import PermanentError, TransientError, Worker
from vault03_sms.brevo import BrevoSmsClient
from vault03_sms.handler import handle, make_sender
from vault03_sms.message import prepare_sms
from vault03_sms.settings import SmsSettings


@pytest.fixture
def brevo() -> Iterator[FakeServer]:
    with fake_brevo() as server:
        yield server


def settings_for(server: FakeServer, **overrides: object) -> SmsSettings:
    return SmsSettings(brevo_api_key=BREVO_KEY, brevo_base_url=f"{server.url}/v3", **overrides)


def sms_event(text: str, delivery_id: str = "s-1", to: str = "+33612345678") -> DeliveryRequested:
    return DeliveryRequested(
        delivery_id=delivery_id, kind="access_code", payload=SmsPayload(to=to, text=text)
    )


async def test_sends_a_transactional_sms_and_records_the_message_id(brevo: FakeServer) -> None:
    settings = settings_for(brevo, sender="Cabinet")
    client = BrevoSmsClient.from_settings(settings)
    result = await handle(sms_event("Your code: 483921"), client=client, settings=settings)
    await client.aclose()
    [accepted] = brevo.state.accepted
    assert result.provider_message_id == str(accepted["messageId"])
    assert accepted["sender"] == "Cabinet"
    assert accepted["recipient"] == "33612345678"
    assert accepted["content"] == "Your code: 483921"
    assert accepted["type"] == "transactional"
    assert accepted["unicodeEnabled"] is False


async def test_unicode_text_is_flagged(brevo: FakeServer) -> None:
    settings = settings_for(brevo)
    client = BrevoSmsClient.from_settings(settings)
    await handle(sms_event("Code 1234 — merci 🙂"), client=client, settings=settings)
    await client.aclose()
    assert brevo.state.accepted[0]["unicodeEnabled"] is True


@pytest.mark.parametrize("sender", ["VAULT03", "Cabinet 2", "33612345678", "+123456789012345"])
def test_senders_within_brevo_limits_are_accepted(sender: str) -> None:
    assert SmsSettings(sender=sender).sender == sender


@pytest.mark.parametrize("sender", ["CabinetDupont", "1234567890123456", "Dupont&Co", "", "x" * 12])
def test_senders_beyond_brevo_limits_are_refused_at_start(sender: str) -> None:
    with pytest.raises(ValidationError, match="SMS sender"):
        SmsSettings(sender=sender)


def test_too_many_segments_is_a_clear_permanent_error() -> None:
    settings = SmsSettings(max_segments=2)
    prepare_sms(sms_event("a" * 306), settings)
    with pytest.raises(PermanentError, match=r"needs 3 segments .* maximum of 2"):
        prepare_sms(sms_event("a" * 307), settings)
    with pytest.raises(PermanentError, match="needs 3 segments"):
        prepare_sms(sms_event("ê" * 135), settings)


async def test_brevo_400_is_permanent(brevo: FakeServer) -> None:
    brevo.state.script.append(
        {"status": 400, "code": "invalid_parameter", "message": "recipient blocked"}
    )
    settings = settings_for(brevo)
    client = BrevoSmsClient.from_settings(settings)
    with pytest.raises(PermanentError, match="invalid_parameter: recipient blocked"):
        await handle(sms_event("hi"), client=client, settings=settings)
    await client.aclose()


async def test_brevo_429_is_transient_with_reset(brevo: FakeServer) -> None:
    brevo.state.script.append({"status": 429, "reset": 4})
    settings = settings_for(brevo)
    client = BrevoSmsClient.from_settings(settings)
    with pytest.raises(TransientError) as caught:
        await handle(sms_event("hi"), client=client, settings=settings)
    assert caught.value.retry_after == 4
    await client.aclose()


async def test_sms_worker_dead_letters_an_oversized_text(
    nats_server: NatsServer, brevo: FakeServer
) -> None:
    settings = settings_for(brevo, nats_url=nats_server.url, http_port=free_port(), max_segments=1)
    client = make_sender(settings)
    worker = Worker(
        channel=Channel.SMS,
        handler=partial(handle, client=client, settings=settings),
        settings=settings,
        on_stop=[client.aclose],
    )
    async with bus(nats_server.url) as test_bus, running(worker):
        await test_bus.publish(sms_event("a" * 200, delivery_id="s-long"))
        await test_bus.publish(sms_event("short", delivery_id="s-short"))
        dead = await test_bus.wait_for_status("s-long", DeliveryStatus.DEAD)
        sent = await test_bus.wait_for_status("s-short", DeliveryStatus.SENT)
    assert dead.error is not None and "segments" in dead.error
    assert sent.provider_message_id == str(brevo.state.accepted[0]["messageId"])
    assert len(brevo.state.accepted) == 1
