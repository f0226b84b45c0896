"""The outbox relay and status consumer inside a running API, against a real NATS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from nats.aio.msg import Msg
from sqlmodel import Session, select

from tests.support import NatsServer, wait_for
from vault03_api.db import session_scope
from vault03_api.deliveries.models import Delivery
from vault03_api.deliveries.sealed import NOT_KEPT
from vault03_api.deliveries.service import enqueue_delivery, record_status
from vault03_api.main import create_app
from vault03_api.settings import DEVELOPMENT_OFFICE, ApiSettings
from vault03_common.events import (
    Channel,
    DeliveryRequested,
    DeliveryStatus,
    DeliveryStatusReported,
)
from vault03_common.messages import AccessCode, Outgoing, SendTestMessage


@pytest.fixture
def client(api_settings: ApiSettings) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings)) as client:
        yield client


def _telegram(text: str) -> Outgoing:
    return SendTestMessage(office=DEVELOPMENT_OFFICE, subject="test", body=text).telegram()


def _enqueue(client: TestClient, text: str) -> str:
    with session_scope(client.app.state.vault03.engine) as session:  # type: ignore[attr-defined]
        return enqueue_delivery(session, outgoing=_telegram(text)).id


def _status(client: TestClient, delivery_id: str) -> str:
    with Session(client.app.state.vault03.engine) as session:  # type: ignore[attr-defined]
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        return delivery.status


async def _stream(url: str, channel: str = "telegram") -> list[Msg]:
    import nats

    client = await nats.connect(url)
    js = client.jetstream()
    subscription = await js.pull_subscribe(f"vault03.deliveries.{channel}", durable="inspect")
    try:
        messages = await subscription.fetch(100, timeout=1)
    except TimeoutError:
        messages = []
    await client.close()
    return messages


async def _stream_messages(url: str) -> list[str]:
    messages = await _stream(url)
    return [message.headers["Nats-Msg-Id"] for message in messages]  # type: ignore[index]


def test_committed_delivery_is_published_once_with_its_id(
    client: TestClient, nats_server: NatsServer
) -> None:
    import asyncio

    delivery_id = _enqueue(client, "hello")
    wait_for(lambda: _status(client, delivery_id) == "published", what="publication")
    assert asyncio.run(_stream_messages(nats_server.url)) == [delivery_id]


def test_a_sealed_payload_is_stored_without_its_secret_and_published_whole(
    client: TestClient, nats_server: NatsServer
) -> None:
    import asyncio

    outgoing = AccessCode(office=DEVELOPMENT_OFFICE, access_code="1234 5678", vault_name="Tax").sms(
        to="+33612345678"
    )
    with session_scope(client.app.state.vault03.engine) as session:  # type: ignore[attr-defined]
        with pytest.raises(ValueError, match="carries a secret"):
            enqueue_delivery(session, outgoing=outgoing)
        delivery = enqueue_delivery(
            session,
            outgoing=outgoing,
            ring=client.app.state.vault03.keyring,  # type: ignore[attr-defined]
        )
        assert delivery.payload["text"] == NOT_KEPT and delivery.sealed is not None
    wait_for(lambda: _status(client, delivery.id) == "published", what="publication")
    [message] = asyncio.run(_stream(nats_server.url, "sms"))
    published = DeliveryRequested.model_validate_json(message.data).payload
    assert published == outgoing.payload


def test_deliveries_wait_while_nats_is_down_and_go_out_after(
    client: TestClient, nats_server: NatsServer
) -> None:
    import asyncio

    nats_server.stop()
    ids = [_enqueue(client, f"message {n}") for n in range(3)]
    wait_for(lambda: client.get("/api/health").status_code == 503, what="NATS reported down")
    assert {_status(client, delivery_id) for delivery_id in ids} == {"queued"}
    metrics = client.get("/metrics").text
    assert "vault03_outbox_depth 3.0" in metrics
    nats_server.start()
    for delivery_id in ids:
        wait_for(lambda d=delivery_id: _status(client, d) == "published", what="catch-up")
    assert sorted(asyncio.run(_stream_messages(nats_server.url))) == sorted(ids)


def test_rolled_back_transaction_sends_nothing(client: TestClient) -> None:
    engine = client.app.state.vault03.engine  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        enqueue_delivery(session, outgoing=_telegram("never"))
        raise RuntimeError("the business change failed")
    with Session(engine) as session:
        assert session.exec(select(Delivery)).all() == []


def test_status_reports_are_recorded_and_never_go_backwards(client: TestClient) -> None:
    engine = client.app.state.vault03.engine  # type: ignore[attr-defined]
    delivery_id = _enqueue(client, "x")

    def report(status: DeliveryStatus, **extra: object) -> None:
        with session_scope(engine) as session:
            record_status(
                session,
                report=DeliveryStatusReported(
                    delivery_id=delivery_id, channel=Channel.TELEGRAM, status=status, **extra
                ),
            )

    report(DeliveryStatus.RETRYING, attempt=1, error="429 Too Many Requests")
    report(DeliveryStatus.SENT, attempt=2, provider_message_id="tg-42")
    report(DeliveryStatus.RETRYING, attempt=1, error="late duplicate")
    with Session(engine) as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        assert delivery.status == "sent"
        assert delivery.attempts == 2
        assert delivery.provider_message_id == "tg-42"


def test_dead_letter_raises_a_telegram_alert(client: TestClient) -> None:
    engine = client.app.state.vault03.engine  # type: ignore[attr-defined]
    code = AccessCode(office=DEVELOPMENT_OFFICE, access_code="code", vault_name="Tax")
    ring = client.app.state.vault03.keyring  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        outgoing = code.sms(to="+33612345678")
        delivery_id = enqueue_delivery(session, outgoing=outgoing, ring=ring).id
    with session_scope(engine) as session:
        record_status(
            session,
            report=DeliveryStatusReported(
                delivery_id=delivery_id,
                channel=Channel.SMS,
                status=DeliveryStatus.DEAD,
                attempt=8,
                error="attempts exhausted: 503",
            ),
        )
    with Session(engine) as session:
        alerts = session.exec(select(Delivery).where(Delivery.kind == "dead_letter_alert")).all()
    assert len(alerts) == 1
    assert delivery_id in alerts[0].payload["text"]
    assert "attempts exhausted: 503" in alerts[0].payload["text"]
