"""A worker process killed between Brevo's acceptance and the ack does not send twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import NatsServer, free_port
from tests.support.fakes import BREVO_KEY, FakeServer, fake_brevo
from tests.support.workers import bus
from vault03_common.events import DeliveryRequested, DeliveryStatus, EmailPayload


@contextmanager
def email_worker_process(
    nats: NatsServer, brevo: FakeServer, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "VAULT03_NATS_URL": nats.url,
        "VAULT03_EMAIL_HTTP_PORT": str(free_port()),
        "VAULT03_EMAIL_BREVO_API_KEY": BREVO_KEY,
        "VAULT03_EMAIL_BREVO_BASE_URL": f"{brevo.url}/v3",
        "VAULT03_EMAIL_ACK_WAIT_SECONDS": "2",
        "VAULT03_EMAIL_PROVIDER_TIMEOUT_SECONDS": "60",
    }
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "vault03_email"], env=env, stdout=output, stderr=output
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


async def wait_until(condition: object, limit: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_kill_after_brevo_accepted_then_redelivery_sends_nothing_more(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    event = DeliveryRequested(
        delivery_id="d-crash",
        kind="notice",
        payload=EmailPayload(
            to="ana@example.org",
            template="notice",
            subject="Hi",
            context={"office": {"name": "Cabinet Martin"}, "body": "Hello"},
        ),
    )
    with fake_brevo() as brevo:
        # Brevo accepts the first request, then holds the answer: the worker dies waiting.
        brevo.state.script.append({"hold": 5})
        async with bus(nats_server.url) as test_bus:
            with email_worker_process(nats_server, brevo, tmp_path / "first.log") as first:
                await test_bus.publish(event)
                await wait_until(lambda: len(brevo.state.accepted) == 1)
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=10)
            assert test_bus.statuses("d-crash") == []
            with email_worker_process(nats_server, brevo, tmp_path / "second.log"):
                sent = await test_bus.wait_for_status("d-crash", DeliveryStatus.SENT, limit=60)
    assert len(brevo.state.requests) == 2  # JetStream redelivered after ack_wait
    assert len(brevo.state.accepted) == 1  # Brevo refused the replayed idempotency key
    assert sent.attempt == 2
    assert (
        sent.provider_message_id is None
    )  # lost with the first worker; webhooks use X-Mailin-custom
