"""The consumer runtime every channel worker runs: pull, handle, ack / retry / dead-letter."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from nats.aio.msg import Msg
from prometheus_client import Counter, Gauge, Histogram, make_asgi_app
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from vault03_common.events import (
    Channel,
    DeliveryRequested,
    DeliveryStatus,
    DeliveryStatusReported,
    unreadable_event,
)
from vault03_common.jetstream import (
    cancel_requested,
    channel_consumer,
    fetch_ready,
    status_subject,
)
from vault03_common.nats_link import NatsLink
from vault03_common.settings import ServiceSettings

log = logging.getLogger(__name__)

DELIVERIES = Counter(
    "vault03_worker_deliveries_total",
    "Deliveries handled, by outcome (sent, retry, dead, duplicate).",
    ["channel", "outcome"],
)
RETRIES = Counter("vault03_worker_retries_total", "Transient failures retried later.", ["channel"])
DEAD_LETTERS = Counter("vault03_worker_dead_letters_total", "Deliveries given up.", ["channel"])
IN_FLIGHT = Gauge("vault03_worker_in_flight", "Deliveries being handled now.", ["channel"])
HANDLE_SECONDS = Histogram(
    "vault03_worker_handle_seconds",
    "Time to handle one delivery (render, provider call, status report).",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# Deliveries the provider accepted, remembered so that a redelivery (the ack or the status
# report was lost, e.g. NATS dropped the connection) is reported again instead of re-sent.
ACCEPTED_MEMORY = 10_000


class DeliveryError(Exception):
    """Base of the failures a handler reports; the message ends up in the delivery's last_error."""


class TransientError(DeliveryError):
    """Worth retrying later (network error, timeout, 5xx, 429)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Retrying cannot help (the provider refused the message itself)."""


@dataclass(frozen=True)
class DeliveryResult:
    provider_message_id: str | None = None


Handler = Callable[[DeliveryRequested], Awaitable[DeliveryResult]]


class WorkerSettings(ServiceSettings):
    """Settings shared by the channel workers (each subclass sets its env prefix)."""

    http_host: str = "127.0.0.1"
    """Address of the worker's /healthz and /metrics."""
    http_port: int = 9100
    """Port of the worker's /healthz and /metrics."""
    max_attempts: int = 8
    """Attempts before a delivery is given up (dead-lettered)."""
    concurrency: int = 32
    """Deliveries in hand at once (each also waits for its status report to be stored)."""
    provider_connections: int = 8
    """Open connections to the provider (httpx slows down with many per client)."""
    ack_wait_seconds: float = 60.0
    """Redelivery delay after a worker died holding a message."""
    retry_base_seconds: float = 2.0
    """First retry delay after a transient failure; doubles per attempt."""
    retry_max_seconds: float = 600.0
    """Longest retry delay (a provider's Retry-After may ask for more)."""
    provider_timeout_seconds: float = 15.0
    """Timeout of one provider request."""
    provider_connect_timeout_seconds: float = 5.0
    """Timeout for connecting to the provider."""
    sink_dir: Path = Path("var/outbox")
    """Local sink directory, used while no provider is configured."""


def retry_delay(
    attempt: int, *, base: float, cap: float, retry_after: float | None = None
) -> float:
    """Exponential backoff with full jitter; a provider's own Retry-After wins when longer."""
    backoff = random.uniform(base, min(cap, base * 2 ** max(attempt - 1, 0)))  # noqa: S311
    if retry_after is not None:
        return min(max(backoff, retry_after), max(cap, retry_after))
    return backoff


class _QuietServer(uvicorn.Server):
    """Uvicorn without its own signal handling: the worker owns SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[no-untyped-def]
        yield


class Worker:
    """Runs one channel's consumer until SIGTERM, then drains what it has in hand."""

    def __init__(
        self,
        *,
        channel: Channel,
        handler: Handler,
        settings: WorkerSettings,
        routes: Sequence[BaseRoute] = (),
        on_stop: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> None:
        self.channel = channel
        self.handler = handler
        self.settings = settings
        self.spec = channel_consumer(
            channel,
            max_attempts=settings.max_attempts,
            ack_wait_seconds=settings.ack_wait_seconds,
        )
        self.routes = routes
        self.on_stop = on_stop
        self.stopping = asyncio.Event()
        self.ready = False
        self.link = NatsLink(settings.nats_url, name=f"vault03-{channel.value}")
        self._accepted: OrderedDict[str, DeliveryResult] = OrderedDict()

    async def run(self) -> None:
        """Serve /healthz and /metrics, consume until stopped, then drain."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        server = _QuietServer(
            uvicorn.Config(
                self.http_app(),
                host=self.settings.http_host,
                port=self.settings.http_port,
                log_config=None,
                lifespan="off",
            )
        )
        http_task = asyncio.create_task(server.serve())
        try:
            await self.consume()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            server.should_exit = True
            await http_task
            await self.link.close()
            for close in self.on_stop:
                with contextlib.suppress(Exception):
                    await close()
            log.info("worker stopped", extra={"channel": self.channel.value})

    def http_app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/healthz", self.healthz),
                Mount("/metrics", app=make_asgi_app()),
                *self.routes,
            ],
            exception_handlers={HTTPException: _http_error, Exception: _server_error},
        )

    async def healthz(self, request: Request) -> JSONResponse:
        connected = self.link.is_connected
        healthy = self.ready and connected
        return JSONResponse(
            {"status": "ok" if healthy else "degraded", "nats": connected, "ready": self.ready},
            status_code=200 if healthy else 503,
        )

    async def consume(self) -> None:
        """Keep up to `concurrency` deliveries in hand; each is acked on its own when done."""
        self.link.start()
        subscription = await self.link.subscribe(self.spec)
        self.ready = True
        log.info("worker consuming", extra={"channel": self.channel.value})
        in_hand: set[asyncio.Task[None]] = set()
        try:
            while not self.stopping.is_set() and not cancel_requested():
                free = self.settings.concurrency - len(in_hand)
                if free <= 0:
                    await asyncio.wait(in_hand, return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    messages = await fetch_ready(subscription, free, wait=1)
                except TimeoutError:
                    continue
                except Exception as exc:  # disconnected: nats-py reconnects by itself
                    log.warning("fetch failed, retrying", extra={"error": repr(exc)})
                    await asyncio.sleep(1)
                    continue
                self._start(messages, in_hand)
        finally:
            if in_hand:  # drain: finish what is in hand before stopping
                await asyncio.gather(*in_hand, return_exceptions=True)

    def _start(self, messages: list[Msg], in_hand: set[asyncio.Task[None]]) -> None:
        for message in messages:
            task = asyncio.create_task(self._process_logged(message))
            in_hand.add(task)
            task.add_done_callback(in_hand.discard)

    async def _process_logged(self, message: Msg) -> None:
        try:
            await self.process(message)
        except Exception as exc:  # left unacked: JetStream redelivers it after ack_wait
            log.warning("delivery left for redelivery", extra={"error": repr(exc)})

    async def process(self, message: Msg) -> None:
        """Handle one message: ack after success, nak on transient errors, term when dead."""
        attempt = message.metadata.num_delivered
        try:
            event = DeliveryRequested.model_validate_json(message.data)
        except ValidationError as exc:
            delivery_id = (message.headers or {}).get("Nats-Msg-Id")
            log.error("malformed delivery event", extra={"delivery_id": delivery_id})
            if delivery_id:
                error = unreadable_event(message.data, exc)
                await self.report(delivery_id, DeliveryStatus.DEAD, attempt, error=error)
            await message.term()
            return
        already = self._accepted.get(event.delivery_id)
        if already is not None:
            await self.sent(event, message, attempt, already, outcome="duplicate")
            return
        if attempt > self.settings.max_attempts:
            await self.dead(event, message, attempt, "attempts exhausted (redeliveries)")
            return
        IN_FLIGHT.labels(self.channel.value).inc()
        started = time.perf_counter()
        try:
            try:
                result = await self.handler(event)
            except PermanentError as exc:
                await self.dead(event, message, attempt, str(exc))
            except Exception as exc:  # TransientError, or a bug: retrying is the safe choice
                await self.retry(event, message, attempt, exc)
            else:
                self._remember(event.delivery_id, result)
                await self.sent(event, message, attempt, result, outcome="sent")
        finally:
            HANDLE_SECONDS.labels(self.channel.value).observe(time.perf_counter() - started)
            IN_FLIGHT.labels(self.channel.value).dec()

    def _remember(self, delivery_id: str, result: DeliveryResult) -> None:
        self._accepted[delivery_id] = result
        while len(self._accepted) > ACCEPTED_MEMORY:
            self._accepted.popitem(last=False)

    async def sent(
        self,
        event: DeliveryRequested,
        message: Msg,
        attempt: int,
        result: DeliveryResult,
        *,
        outcome: str,
    ) -> None:
        """Report SENT, then ack (a lost ack means a redelivery that is reported, not re-sent)."""
        await self.report(
            event.delivery_id,
            DeliveryStatus.SENT,
            attempt,
            provider_message_id=result.provider_message_id,
        )
        await message.ack()
        DELIVERIES.labels(self.channel.value, outcome).inc()
        log.info(
            "delivery sent",
            extra={
                "delivery_id": event.delivery_id,
                "channel": self.channel.value,
                "provider_message_id": result.provider_message_id,
                "redelivered": outcome == "duplicate",
            },
        )

    async def retry(
        self, event: DeliveryRequested, message: Msg, attempt: int, exc: Exception
    ) -> None:
        if not isinstance(exc, TransientError):
            log.exception("handler crashed", extra={"delivery_id": event.delivery_id})
        if attempt >= self.settings.max_attempts:
            await self.dead(event, message, attempt, f"attempts exhausted: {exc}")
            return
        delay = retry_delay(
            attempt,
            base=self.settings.retry_base_seconds,
            cap=self.settings.retry_max_seconds,
            retry_after=getattr(exc, "retry_after", None),
        )
        RETRIES.labels(self.channel.value).inc()
        DELIVERIES.labels(self.channel.value, "retry").inc()
        log.warning(
            "delivery will be retried",
            extra={
                "delivery_id": event.delivery_id,
                "attempt": attempt,
                "delay": delay,
                "error": str(exc),
            },
        )
        await self.report(event.delivery_id, DeliveryStatus.RETRYING, attempt, error=str(exc))
        await message.nak(delay=delay)

    async def dead(self, event: DeliveryRequested, message: Msg, attempt: int, error: str) -> None:
        DEAD_LETTERS.labels(self.channel.value).inc()
        DELIVERIES.labels(self.channel.value, "dead").inc()
        log.error(
            "delivery dead-lettered",
            extra={"delivery_id": event.delivery_id, "attempt": attempt, "error": error},
        )
        await self.report(event.delivery_id, DeliveryStatus.DEAD, attempt, error=error)
        await message.term()

    async def report(
        self,
        delivery_id: str,
        status: DeliveryStatus,
        attempt: int,
        *,
        provider_message_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """Publish a status report and wait for JetStream to store it."""
        report = DeliveryStatusReported(
            delivery_id=delivery_id,
            channel=self.channel,
            status=status,
            attempt=attempt,
            provider_message_id=provider_message_id,
            error=error,
        )
        await self.link.js.publish(
            status_subject(self.channel),
            report.model_dump_json().encode(),
            headers={"Nats-Msg-Id": f"{delivery_id}:{status.value}:{attempt}"},
        )


def run_worker(worker: Worker) -> None:
    """Entry point of a worker process."""
    asyncio.run(worker.run())


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse(
        {"error": str(exc.detail), "detail": None}, status_code=exc.status_code, headers=exc.headers
    )


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    # Starlette raises the error on after this response, so the server logs it in full.
    return JSONResponse({"error": "internal error", "detail": None}, status_code=500)
