"""Outbox relay: publishes queued deliveries to JetStream, records them only after the PubAck."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from sqlalchemy import Engine, event
from sqlmodel import Session

from vault03_api.deliveries.service import (
    OUTBOX_DIRTY,
    delivery_event,
    mark_published,
    queued_deliveries,
)
from vault03_api.keyring import KeyRingSource
from vault03_api.transactions import run_read, run_write
from vault03_common.events import DeliveryRequested
from vault03_common.jetstream import cancel_requested, delivery_subject
from vault03_common.nats_link import NatsLink

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 5.0

# The running relay of each engine, woken after a commit that enqueued deliveries.
_relays: dict[Engine, OutboxRelay] = {}


@event.listens_for(Session, "after_commit")
def _wake_relay_after_commit(session: Session) -> None:
    if not session.info.pop(OUTBOX_DIRTY, False):
        return
    relay = _relays.get(session.get_bind())  # type: ignore[arg-type]
    if relay is not None:
        relay.wake_threadsafe()


class OutboxRelay:
    """Moves queued rows to NATS: at least once, and once only thanks to Nats-Msg-Id."""

    def __init__(
        self,
        *,
        engine: Engine,
        link: NatsLink,
        keys: KeyRingSource,
        poll_seconds: float,
        batch_size: int,
    ) -> None:
        self.engine = engine
        self.link = link
        self.keys = keys  # opens the sealed payloads of messages carrying links and codes
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        _relays[engine] = self

    def wake_threadsafe(self) -> None:
        """Called from any thread after a commit: publish now rather than at the next poll."""
        self._loop.call_soon_threadsafe(self._wake.set)

    def close(self) -> None:
        _relays.pop(self.engine, None)

    async def run(self) -> None:
        while True:
            if cancel_requested():
                raise asyncio.CancelledError
            self._wake.clear()
            await self.link.ready.wait()
            try:
                published = await self.publish_batch()
            except Exception as exc:
                log.warning("outbox relay failed, retrying", extra={"error": repr(exc)})
                await asyncio.sleep(1)
                continue
            if published >= self.batch_size:
                continue  # more may be waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    async def publish_batch(self) -> int:
        """Publish one batch of queued deliveries; returns how many JetStream acknowledged."""
        # A snapshot read: it need not queue behind the writers.
        events = await run_read(self.engine, _queued_events, limit=self.batch_size, keys=self.keys)
        if not events:
            return 0
        outcomes = await asyncio.gather(
            *(self._publish(event) for event in events), return_exceptions=True
        )
        acknowledged = [
            event.delivery_id
            for event, outcome in zip(events, outcomes, strict=True)
            if outcome is None
        ]
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if acknowledged:
            await run_write(self.engine, _mark_all_published, delivery_ids=acknowledged)
        if failures:
            raise failures[0]
        return len(acknowledged)

    async def _publish(self, event: DeliveryRequested) -> None:
        await self.link.js.publish(
            delivery_subject(event.channel),
            event.model_dump_json().encode(),
            timeout=PUBLISH_TIMEOUT_SECONDS,
            headers={"Nats-Msg-Id": event.delivery_id},
        )


def _queued_events(session: Session, *, limit: int, keys: KeyRingSource) -> list[DeliveryRequested]:
    ring = keys.get()  # on the worker thread: it may read the key directory
    return [delivery_event(d, ring=ring) for d in queued_deliveries(session, limit=limit)]


def _mark_all_published(session: Session, *, delivery_ids: Sequence[str]) -> None:
    for delivery_id in delivery_ids:
        mark_published(session, delivery_id=delivery_id)
