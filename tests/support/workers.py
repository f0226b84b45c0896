"""Run a channel worker for real (the common runtime) inside a test, against a real NATS."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from vault03_common.events import DeliveryRequested, DeliveryStatus, DeliveryStatusReported
from vault03_common.jetstream import (
    STATUS_SUBJECT_PREFIX,
    connect,
    delivery_subject,
    ensure_streams,
)
from vault03_common.runtime import Worker


@dataclass
class Bus:
    """A test's own NATS connection: publishes deliveries, collects status reports."""

    nc: NATS
    js: JetStreamContext
    reports: list[DeliveryStatusReported] = field(default_factory=list)

    async def publish(self, event: DeliveryRequested) -> None:
        await self.js.publish(
            delivery_subject(event.channel),
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": event.delivery_id},
        )

    def statuses(self, delivery_id: str) -> list[DeliveryStatus]:
        return [r.status for r in self.reports if r.delivery_id == delivery_id]

    async def wait_for_status(
        self, delivery_id: str, status: DeliveryStatus, limit: float = 30.0
    ) -> DeliveryStatusReported:
        """The first report of `status` for the delivery (fails after `limit` seconds)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while loop.time() < deadline:
            for report in self.reports:
                if report.delivery_id == delivery_id and report.status == status:
                    return report
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"no {status} for {delivery_id} within {limit}s; saw {self.statuses(delivery_id)}"
        )


@contextlib.asynccontextmanager
async def bus(nats_url: str) -> AsyncIterator[Bus]:
    """Connect, create the streams, and watch every status report (an ephemeral consumer)."""
    nc = await connect(nats_url, name="vault03-test")
    js = nc.jetstream()
    await ensure_streams(js)
    test_bus = Bus(nc=nc, js=js)

    async def collect(message: Msg) -> None:
        test_bus.reports.append(DeliveryStatusReported.model_validate_json(message.data))

    # Work-queue streams allow one consumer per subject: the test plays the API's part.
    subscription = await js.pull_subscribe(f"{STATUS_SUBJECT_PREFIX}.>", durable="api-status")

    async def pull() -> None:
        while True:
            try:
                messages = await subscription.fetch(100, timeout=0.5)
            except TimeoutError:
                continue
            for message in messages:
                await collect(message)
                await message.ack()

    task = asyncio.create_task(pull())
    try:
        yield test_bus
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await nc.close()


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[Worker]:
    """The worker consuming in the background until the block ends (then drained)."""
    task = asyncio.create_task(worker.run())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while not worker.ready:
        if task.done():
            task.result()
        if loop.time() > deadline:
            raise AssertionError("worker did not start consuming")
        await asyncio.sleep(0.05)
    try:
        yield worker
    finally:
        worker.stopping.set()
        await asyncio.wait_for(task, timeout=30)
