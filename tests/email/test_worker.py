"""The email worker for real (common runtime, real NATS) against the fake Brevo."""

from __future__ import annotations

from functools import partial

from tests.support import NatsServer, free_port
from tests.support.fakes import BREVO_KEY, FakeServer, fake_brevo
from tests.support.workers import bus, running
from vault03_common.events import Channel, DeliveryRequested, DeliveryStatus, EmailPayload
from vault03_common.runtime import Worker
from vault03_email.handler import handle, make_sender
from vault03_email.settings import EmailSettings


def email_worker(nats: NatsServer, brevo: FakeServer, **overrides: object) -> Worker:
    settings = EmailSettings(
        nats_url=nats.url,
        http_port=free_port(),
        brevo_api_key=BREVO_KEY,
        brevo_base_url=f"{brevo.url}/v3",
        retry_base_seconds=0.2,
        retry_max_seconds=1.0,
        **overrides,
    )
    client = make_sender(settings)
    return Worker(
        channel=Channel.EMAIL,
        handler=partial(handle, client=client, settings=settings),
        settings=settings,
        on_stop=[client.aclose],
    )


def share_link(delivery_id: str, to: str = "ana@example.org") -> DeliveryRequested:
    return DeliveryRequested(
        delivery_id=delivery_id,
        kind="share_link",
        payload=EmailPayload(
            to=to,
            template="share_link",
            subject="Documents for you",
            context={
                "office": {"name": "Cabinet Martin"},
                "link": "https://v.example/s/1",
                "vault_name": "Tax",
                "code_channel": "sms",
            },
        ),
    )


async def test_retry_then_success(nats_server: NatsServer) -> None:
    with fake_brevo() as brevo:
        brevo.state.script.extend([{"status": 500}, {"status": 503}])
        async with bus(nats_server.url) as test_bus, running(email_worker(nats_server, brevo)):
            await test_bus.publish(share_link("d-retry"))
            sent = await test_bus.wait_for_status("d-retry", DeliveryStatus.SENT)
    assert sent.provider_message_id == brevo.state.accepted[0]["messageId"]
    assert sent.attempt == 3
    assert test_bus.statuses("d-retry").count(DeliveryStatus.RETRYING) == 2
    assert len(brevo.state.accepted) == 1


async def test_permanent_failure_is_dead_lettered_with_brevo_text(nats_server: NatsServer) -> None:
    with fake_brevo() as brevo:
        async with bus(nats_server.url) as test_bus, running(email_worker(nats_server, brevo)):
            await test_bus.publish(share_link("d-bad", to="nobody"))
            dead = await test_bus.wait_for_status("d-bad", DeliveryStatus.DEAD)
    assert dead.error is not None and "invalid_parameter: to.email is invalid" in dead.error
    assert DeliveryStatus.RETRYING not in test_bus.statuses("d-bad")
    assert brevo.state.accepted == []


async def test_attempts_are_bounded_then_dead(nats_server: NatsServer) -> None:
    with fake_brevo() as brevo:
        brevo.state.script.extend([{"status": 500}] * 10)
        worker = email_worker(nats_server, brevo, max_attempts=3)
        async with bus(nats_server.url) as test_bus, running(worker):
            await test_bus.publish(share_link("d-exhausted"))
            dead = await test_bus.wait_for_status("d-exhausted", DeliveryStatus.DEAD)
    assert dead.attempt == 3
    assert dead.error is not None and dead.error.startswith("attempts exhausted")
    assert len(brevo.state.requests) == 3


async def test_rate_limit_reset_is_honoured_before_the_retry(nats_server: NatsServer) -> None:
    with fake_brevo() as brevo:
        brevo.state.script.append({"status": 429, "reset": 2})
        async with bus(nats_server.url) as test_bus, running(email_worker(nats_server, brevo)):
            await test_bus.publish(share_link("d-429"))
            await test_bus.wait_for_status("d-429", DeliveryStatus.SENT)
    first, second = brevo.state.requests
    # A lower bound only: the retry may come later, never sooner than Brevo's reset.
    assert second["at"] - first["at"] >= 2.0
    assert test_bus.statuses("d-429")[0] == DeliveryStatus.RETRYING


async def test_many_deliveries_each_sent_once(nats_server: NatsServer) -> None:
    with fake_brevo() as brevo:
        async with bus(nats_server.url) as test_bus, running(email_worker(nats_server, brevo)):
            for index in range(50):
                await test_bus.publish(share_link(f"d-{index}"))
            for index in range(50):
                await test_bus.wait_for_status(f"d-{index}", DeliveryStatus.SENT)
    recipients = [a["headers"]["X-Mailin-custom"] for a in brevo.state.accepted]
    assert sorted(recipients) == sorted(f"d-{index}" for index in range(50))
