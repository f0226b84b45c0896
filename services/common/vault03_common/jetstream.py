"""NATS subjects, JetStream streams and consumers of the fleet, defined in one place."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError, NoServersError, StaleConnectionError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from vault03_common.events import Channel

log = logging.getLogger(__name__)

DELIVERIES_STREAM = "VAULT03_DELIVERIES"
STATUS_STREAM = "VAULT03_DELIVERY_STATUS"
DELIVERY_SUBJECT_PREFIX = "vault03.deliveries"
STATUS_SUBJECT_PREFIX = "vault03.status"
# A republished delivery (relay crashed after the PubAck, before recording it) is
# dropped by JetStream when it carries the same Nats-Msg-Id within this window.
DUPLICATE_WINDOW_SECONDS = 3600.0
STATUS_CONSUMER = "api-status"
# How long the second fetch of fetch_ready may wait for messages beyond the first.
GREEDY_FETCH_SECONDS = 0.01


def delivery_subject(channel: Channel) -> str:
    return f"{DELIVERY_SUBJECT_PREFIX}.{channel.value}"


def status_subject(channel: Channel) -> str:
    return f"{STATUS_SUBJECT_PREFIX}.{channel.value}"


STREAMS = (
    StreamConfig(
        name=DELIVERIES_STREAM,
        description="Deliveries waiting for their channel worker (work queue).",
        subjects=[f"{DELIVERY_SUBJECT_PREFIX}.>"],
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    ),
    StreamConfig(
        name=STATUS_STREAM,
        description="Delivery status reports from the workers to the API (work queue).",
        subjects=[f"{STATUS_SUBJECT_PREFIX}.>"],
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    ),
)


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer: who reads which subject, and how long redelivery waits."""

    stream: str
    durable: str
    subject: str
    max_attempts: int = 8
    ack_wait_seconds: float = 60.0

    def config(self) -> ConsumerConfig:
        # No BackOff list: with one, nats-server ignores the delay of a NAK after the first
        # redelivery and waits the BackOff step instead (minutes), so the workers' own
        # backoff (which honours Retry-After) would be lost. ack_wait covers a dead worker.
        # One delivery beyond max_attempts lets the runtime record the dead letter itself.
        return ConsumerConfig(
            durable_name=self.durable,
            filter_subject=self.subject,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.ack_wait_seconds,
            max_deliver=self.max_attempts + 1,
            max_ack_pending=1000,
        )


def channel_consumer(
    channel: Channel, *, max_attempts: int = 8, ack_wait_seconds: float = 60.0
) -> ConsumerSpec:
    """The consumer a channel worker reads its deliveries from."""
    return ConsumerSpec(
        stream=DELIVERIES_STREAM,
        durable=f"worker-{channel.value}",
        subject=delivery_subject(channel),
        max_attempts=max_attempts,
        ack_wait_seconds=ack_wait_seconds,
    )


STATUS_CONSUMER_SPEC = ConsumerSpec(
    stream=STATUS_STREAM,
    durable=STATUS_CONSUMER,
    subject=f"{STATUS_SUBJECT_PREFIX}.>",
    max_attempts=1000,
    ack_wait_seconds=30.0,
)


def cancel_requested() -> bool:
    """True once the current task was asked to stop.

    On Python 3.11, asyncio.wait_for (used inside nats-py's fetch and publish) can swallow a
    cancellation that races with a result; loops check this so that they still stop.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


# What nats-py reports while the server is away or restarting: the link logs the disconnect
# once and health turns degraded after its grace; one ERROR with a traceback per reconnect
# attempt and service would page the operators (> 10 errors an hour) for a routine restart.
_CONNECTION_ERRORS = (
    OSError,  # refused, reset, timed out
    StaleConnectionError,  # and UnexpectedEOF
    ConnectionClosedError,
    NoServersError,
    NatsTimeoutError,
)


async def _on_error(exc: Exception) -> None:
    """nats-py's error callback: a lost connection at DEBUG, anything else as an error."""
    if isinstance(exc, _CONNECTION_ERRORS):
        log.debug("NATS connection error", extra={"error": repr(exc)})
    else:
        log.error("NATS error", extra={"error": repr(exc)})


async def connect(url: str, *, name: str, **callbacks: Any) -> NATS:
    """Connect to NATS, retrying until the first connection succeeds; reconnect for ever after."""
    while True:
        try:
            return await nats.connect(
                url,
                name=name,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                connect_timeout=2,
                error_cb=_on_error,
                **callbacks,
            )
        except Exception as exc:  # NoServersError, OSError, TimeoutError...
            log.warning("NATS unreachable, retrying", extra={"url": url, "error": repr(exc)})
            await asyncio.sleep(1)


async def ensure_streams(js: JetStreamContext) -> None:
    """Create the fleet's streams, or bring an existing stream's settings up to date."""
    for config in STREAMS:
        assert config.name is not None
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)
            log.info("created stream", extra={"stream": config.name})
        else:
            await js.update_stream(config)


async def pull_subscription(
    js: JetStreamContext, spec: ConsumerSpec
) -> JetStreamContext.PullSubscription:
    """Bind a durable pull subscription, creating the consumer when needed."""
    return await js.pull_subscribe(
        spec.subject, durable=spec.durable, stream=spec.stream, config=spec.config()
    )


async def fetch_ready(
    subscription: JetStreamContext.PullSubscription, limit: int, *, wait: float
) -> list[Msg]:
    """Up to `limit` messages: wait up to `wait` seconds for the first, then take at once what
    is already there. (A plain fetch of N, once the first message came, waits for the other
    N-1 until its timeout, which at a steady trickle holds every message back.)"""
    messages = await subscription.fetch(1, timeout=wait)  # TimeoutError when nothing came
    if limit > 1:
        with contextlib.suppress(TimeoutError):
            messages += await subscription.fetch(limit - 1, timeout=GREEDY_FETCH_SECONDS)
    return messages
