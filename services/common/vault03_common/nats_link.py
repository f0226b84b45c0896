"""A service's one NATS connection: opened in the background, reconnected for ever, the
fleet's streams made sure of, watched for health, flushed and closed at the end. The API and
every channel worker hold one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from vault03_common.jetstream import ConsumerSpec, connect, ensure_streams, pull_subscription

log = logging.getLogger(__name__)


class NatsLink:
    """Connects (and reconnects) for ever; `ready` is set while JetStream can be used."""

    def __init__(self, url: str, *, name: str) -> None:
        self.url = url
        self.name = name
        self.ready = asyncio.Event()
        self.down_since: float | None = time.monotonic()
        self._nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("NATS is not connected yet")
        return self._js

    @property
    def is_connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    def seconds_down(self) -> float:
        """How long NATS has been unreachable (0 while connected)."""
        if self.down_since is None:
            return 0.0
        return time.monotonic() - self.down_since

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect())

    async def _connect(self) -> None:
        nc = await connect(
            self.url,
            name=self.name,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
        )
        self._nc = nc
        self._js = nc.jetstream()
        while True:
            try:
                await ensure_streams(self._js)
                break
            except Exception as exc:
                log.warning("JetStream not ready, retrying", extra={"error": repr(exc)})
                await asyncio.sleep(1)
        self._on_up()

    def _on_up(self) -> None:
        if self.down_since is not None:
            log.info("NATS connected", extra={"url": self.url})
        self.down_since = None
        self.ready.set()

    async def _on_disconnected(self) -> None:
        if self.down_since is None:
            log.warning("NATS disconnected", extra={"url": self.url})
            self.down_since = time.monotonic()
        self.ready.clear()

    async def _on_reconnected(self) -> None:
        if self._js is not None:
            self._on_up()

    async def subscribe(self, spec: ConsumerSpec) -> JetStreamContext.PullSubscription:
        """A durable pull subscription, once JetStream can be used (retried until it works)."""
        while True:
            await self.ready.wait()
            try:
                return await pull_subscription(self.js, spec)
            except Exception as exc:
                log.warning("subscription failed, retrying", extra={"error": repr(exc)})
                await asyncio.sleep(1)

    async def close(self) -> None:
        """Stop connecting; flush what was published and close."""
        if self._task is not None:
            # nats-py retries a first connection inside asyncio.wait_for, which on Python 3.11
            # can swallow a cancellation that races with a result: ask until the task is done.
            while not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=1)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._nc is not None and not self._nc.is_closed:
            # Its users are stopped: flush what they published and close. (drain() waits its
            # whole timeout when a pull subscription was mid-fetch.)
            with contextlib.suppress(Exception):
                await self._nc.flush(timeout=5)
            with contextlib.suppress(Exception):
                await self._nc.close()
