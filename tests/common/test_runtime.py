"""The worker runtime against a real NATS server: ack, retry, dead-letter, drain, health."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import nats
import pytest
from nats.js import JetStreamContext
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.support import NatsServer, free_port
from vault03_common.events import (
    SCHEMA_VERSION,
    Channel,
    DeliveryRequested,
    DeliveryStatus,
    DeliveryStatusReported,
    SmsPayload,
)
from vault03_common.jetstream import (
    DELIVERIES_STREAM,
    STATUS_CONSUMER_SPEC,
    delivery_subject,
    ensure_streams,
    pull_subscription,
)
from vault03_common.runtime import (
    DeliveryResult,
    PermanentError,
    TransientError,
    Worker,
    WorkerSettings,
    retry_delay,
)


@dataclass
class ScriptedHandler:
    """Fails as scripted per delivery id (a list of exceptions, then success)."""

    script: dict[str, list[Exception]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    gate: asyncio.Event | None = None

    async def __call__(self, event: DeliveryRequested) -> DeliveryResult:
        self.calls.append(event.delivery_id)
        if self.gate is not None:
            await self.gate.wait()
        failures = self.script.get(event.delivery_id, [])
        if failures:
            raise failures.pop(0)
        return DeliveryResult(provider_message_id=f"provider-{event.delivery_id}")


@dataclass
class Harness:
    js: JetStreamContext
    worker: Worker
    handler: ScriptedHandler
    settings: WorkerSettings

    async def publish(self, delivery_id: str) -> None:
        event = DeliveryRequested(
            delivery_id=delivery_id,
            kind="test",
            payload=SmsPayload(to="+33612345678", text="hello"),
        )
        await self.js.publish(
            delivery_subject(Channel.SMS),
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": delivery_id},
        )

    async def reports(self, count: int, timeout: float = 20) -> list[DeliveryStatusReported]:
        subscription = await pull_subscription(self.js, STATUS_CONSUMER_SPEC)
        found: list[DeliveryStatusReported] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"only {len(found)} of {count} reports: {found}")
            with contextlib.suppress(TimeoutError):
                for message in await subscription.fetch(count - len(found), timeout=1):
                    found.append(DeliveryStatusReported.model_validate_json(message.data))
                    await message.ack()
        return found

    async def pending_deliveries(self) -> int:
        """Messages left in the work queue once acks have landed (0 when all were settled)."""
        for _ in range(50):
            info = await self.js.stream_info(DELIVERIES_STREAM)
            if info.state.messages == 0:
                return 0
            await asyncio.sleep(0.1)
        return int(info.state.messages)


@pytest.fixture
async def harness(nats_server: NatsServer) -> AsyncIterator[Harness]:
    settings = WorkerSettings(
        nats_url=nats_server.url,
        http_port=free_port(),
        max_attempts=3,
        retry_base_seconds=0.05,
        retry_max_seconds=0.2,
    )
    handler = ScriptedHandler()
    worker = Worker(channel=Channel.SMS, handler=handler, settings=settings)
    client = await nats.connect(nats_server.url)
    js = client.jetstream()
    await ensure_streams(js)
    task = asyncio.create_task(worker.run())
    yield Harness(js=js, worker=worker, handler=handler, settings=settings)
    worker.stopping.set()
    await asyncio.wait_for(task, timeout=20)
    await client.close()


async def test_success_is_reported_sent_and_acked(harness: Harness) -> None:
    await harness.publish("d-ok")
    (report,) = await harness.reports(1)
    assert report.status == DeliveryStatus.SENT
    assert report.delivery_id == "d-ok"
    assert report.provider_message_id == "provider-d-ok"
    assert report.attempt == 1
    assert await harness.pending_deliveries() == 0


async def test_transient_failures_are_retried_then_sent(harness: Harness) -> None:
    harness.handler.script["d-flaky"] = [TransientError("503 from provider")] * 2
    await harness.publish("d-flaky")
    reports = await harness.reports(3)
    assert [r.status for r in reports] == [
        DeliveryStatus.RETRYING,
        DeliveryStatus.RETRYING,
        DeliveryStatus.SENT,
    ]
    assert reports[0].error == "503 from provider"
    assert [r.attempt for r in reports] == [1, 2, 3]
    assert harness.handler.calls == ["d-flaky"] * 3


async def test_permanent_failure_is_dead_lettered_at_once(harness: Harness) -> None:
    harness.handler.script["d-bad"] = [PermanentError("400 invalid recipient")]
    await harness.publish("d-bad")
    (report,) = await harness.reports(1)
    assert report.status == DeliveryStatus.DEAD
    assert report.error == "400 invalid recipient"
    await asyncio.sleep(0.5)
    assert harness.handler.calls == ["d-bad"]
    assert await harness.pending_deliveries() == 0


async def test_attempts_are_bounded(harness: Harness) -> None:
    harness.handler.script["d-down"] = [TransientError("timeout")] * 10
    await harness.publish("d-down")
    reports = await harness.reports(3)
    assert [r.status for r in reports] == [
        DeliveryStatus.RETRYING,
        DeliveryStatus.RETRYING,
        DeliveryStatus.DEAD,
    ]
    assert "attempts exhausted" in (reports[-1].error or "")
    assert len(harness.handler.calls) == 3


async def test_an_unexpected_crash_in_a_handler_is_retried(harness: Harness) -> None:
    harness.handler.script["d-bug"] = [KeyError("oops")]
    await harness.publish("d-bug")
    reports = await harness.reports(2)
    assert [r.status for r in reports] == [DeliveryStatus.RETRYING, DeliveryStatus.SENT]


async def test_malformed_event_is_dead_lettered_by_its_message_id(harness: Harness) -> None:
    await harness.js.publish(
        delivery_subject(Channel.SMS), b"{not json", headers={"Nats-Msg-Id": "d-garbage"}
    )
    (report,) = await harness.reports(1)
    assert (report.delivery_id, report.status) == ("d-garbage", DeliveryStatus.DEAD)
    assert harness.handler.calls == []


async def test_a_newer_event_it_cannot_read_is_dead_with_the_field_named(
    harness: Harness,
) -> None:
    newer = {
        "delivery_id": "d-newer",
        "schema_version": SCHEMA_VERSION + 1,
        "kind": "test",
        "payload": {"channel": "sms", "number": "+33612345678", "text": "hello"},
    }
    await harness.js.publish(
        delivery_subject(Channel.SMS),
        json.dumps(newer).encode(),
        headers={"Nats-Msg-Id": "d-newer"},
    )
    (report,) = await harness.reports(1)
    assert (report.delivery_id, report.status) == ("d-newer", DeliveryStatus.DEAD)
    assert report.error is not None and "payload.sms.to (Field required)" in report.error
    assert f"schema version {SCHEMA_VERSION + 1} is newer" in report.error
    assert harness.handler.calls == []


async def test_stop_lets_the_delivery_in_hand_finish(harness: Harness) -> None:
    harness.handler.gate = asyncio.Event()
    await harness.publish("d-slow")
    while not harness.handler.calls:
        await asyncio.sleep(0.05)
    harness.worker.stopping.set()  # what SIGTERM does
    await asyncio.sleep(0.2)
    harness.handler.gate.set()
    (report,) = await harness.reports(1)
    assert report.status == DeliveryStatus.SENT
    assert await harness.pending_deliveries() == 0


async def test_healthz_follows_the_nats_connection(
    harness: Harness, nats_server: NatsServer
) -> None:
    url = f"http://127.0.0.1:{harness.settings.http_port}"
    async with httpx.AsyncClient(base_url=url) as client:
        for _ in range(100):
            if harness.worker.ready:
                break
            await asyncio.sleep(0.1)
        assert (await client.get("/healthz")).status_code == 200
        assert "vault03_worker_deliveries_total" in (await client.get("/metrics/")).text
        nats_server.stop()
        for _ in range(100):
            response = await client.get("/healthz")
            if response.status_code == 503:
                break
            await asyncio.sleep(0.1)
        assert response.status_code == 503
        assert response.json()["nats"] is False


def test_retry_delay_grows_and_honours_retry_after() -> None:
    first = retry_delay(1, base=2, cap=600)
    assert 2 <= first <= 2
    assert 2 <= retry_delay(5, base=2, cap=600) <= 32
    assert retry_delay(8, base=2, cap=60) <= 60
    assert retry_delay(1, base=2, cap=600, retry_after=45) >= 45


def test_the_workers_http_errors_are_json() -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    worker = Worker(
        channel=Channel.SMS,
        handler=ScriptedHandler(),
        settings=WorkerSettings(nats_url="nats://127.0.0.1:1", http_port=free_port()),
        routes=[Route("/broken", broken)],
    )
    with TestClient(worker.http_app(), raise_server_exceptions=False) as client:
        missing, failing = client.get("/nothing"), client.get("/broken")
    assert (missing.status_code, missing.json()) == (404, {"error": "Not Found", "detail": None})
    assert (failing.status_code, failing.json()) == (
        500,
        {"error": "internal error", "detail": None},
    )
