"""Status consumer: records in the database what the workers report about each delivery."""

from __future__ import annotations

import asyncio
import logging

from nats.aio.msg import Msg
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from vault03_api.deliveries.service import record_status
from vault03_api.transactions import run_write
from vault03_common.events import DeliveryStatusReported
from vault03_common.jetstream import (
    STATUS_CONSUMER_SPEC,
    cancel_requested,
    fetch_ready,
)
from vault03_common.nats_link import NatsLink

log = logging.getLogger(__name__)

BATCH = 100


class StatusConsumer:
    """Pulls status reports, applies a batch in one transaction, then acks them."""

    def __init__(self, *, engine: Engine, link: NatsLink) -> None:
        self.engine = engine
        self.link = link

    async def run(self) -> None:
        while True:
            subscription = await self.link.subscribe(STATUS_CONSUMER_SPEC)
            while self.link.ready.is_set():
                if cancel_requested():
                    raise asyncio.CancelledError
                try:
                    messages = await fetch_ready(subscription, BATCH, wait=1)
                except TimeoutError:
                    continue
                except Exception as exc:
                    log.warning("status fetch failed", extra={"error": repr(exc)})
                    await asyncio.sleep(1)
                    continue
                await self.apply(messages)

    async def apply(self, messages: list[Msg]) -> None:
        reports: list[DeliveryStatusReported] = []
        valid: list[Msg] = []
        for message in messages:
            try:
                reports.append(DeliveryStatusReported.model_validate_json(message.data))
                valid.append(message)
            except ValidationError:
                log.error("malformed status report dropped", extra={"subject": message.subject})
                await message.term()
        if reports:
            try:
                await run_write(self.engine, _record_all, reports=reports)
            except Exception as exc:
                # Not acknowledged: JetStream delivers them again after its ack wait.
                log.warning("status reports not recorded yet", extra={"error": repr(exc)})
                return
        for message in valid:
            await message.ack()


def _record_all(session: Session, *, reports: list[DeliveryStatusReported]) -> None:
    for report in reports:
        record_status(session, report=report)
