"""Provider HTTP helpers shared by the channel workers: one client, timing, failure classes.

Every provider client goes through `send_request` (network errors and timeouts become
TransientError, the call is timed) and `raise_for_status` (429/5xx transient, other 4xx
permanent). `RateGate` and `SlidingWindowLimiter` keep a worker inside a provider's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import time
from collections import defaultdict, deque
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from prometheus_client import Counter, Histogram

from vault03_common.runtime import PermanentError, TransientError, WorkerSettings

PROVIDER_LATENCY = Histogram(
    "vault03_worker_provider_seconds",
    "Time spent in one provider call (or local sink write), by outcome.",
    ["channel", "provider", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RATE_LIMIT_WAITS = Counter(
    "vault03_worker_rate_limit_waits_total",
    "Times a send waited for a provider's rate limit (local limiter, 429 or exhausted window).",
    ["channel", "provider"],
)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "vault03_worker_rate_limit_wait_seconds_total",
    "Seconds spent waiting for provider rate limits.",
    ["channel", "provider"],
)

# Statuses that say "not now" rather than "never": timeouts, conflicts with an in-flight
# request carrying the same idempotency key, throttling, and server errors.
TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})


def http_client(
    settings: WorkerSettings,
    *,
    base_url: str,
    headers: Mapping[str, str] | None = None,
    auth: httpx.Auth | None = None,
) -> httpx.AsyncClient:
    """The worker's one long-lived client: explicit timeouts and a bounded connection pool."""
    return httpx.AsyncClient(
        base_url=base_url,
        headers=dict(headers or {}),
        auth=auth,
        timeout=httpx.Timeout(
            settings.provider_timeout_seconds, connect=settings.provider_connect_timeout_seconds
        ),
        limits=httpx.Limits(
            max_connections=settings.provider_connections,
            max_keepalive_connections=settings.provider_connections,
        ),
    )


@contextlib.contextmanager
def timed_call(channel: str, provider: str) -> Iterator[None]:
    """Observe one provider call (or sink write) in the latency histogram."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        PROVIDER_LATENCY.labels(channel, provider, outcome).observe(time.perf_counter() - started)


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


async def send_request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    channel: str,
    provider: str,
    redact: Sequence[str] = (),
    **kwargs: Any,
) -> httpx.Response:
    """One timed provider request; network failures and timeouts become TransientError."""
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        _observe(channel, provider, "timeout", started)
        raise TransientError(f"{provider}: request timed out ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        _observe(channel, provider, "network_error", started)
        # str(exc) only: the request URL (which may carry a bot token) never reaches the log.
        detail = _redact(str(exc) or type(exc).__name__, redact)
        raise TransientError(f"{provider}: network error: {detail}") from None
    _observe(channel, provider, str(response.status_code), started)
    return response


def _observe(channel: str, provider: str, outcome: str, started: float) -> None:
    PROVIDER_LATENCY.labels(channel, provider, outcome).observe(time.perf_counter() - started)


def raise_for_status(
    response: httpx.Response, *, provider: str, error: str, retry_after: float | None = None
) -> None:
    """Nothing on 2xx; TransientError on 408/409/425/429/5xx; PermanentError on other codes."""
    status = response.status_code
    if 200 <= status < 300:
        return
    message = f"{provider} answered {status}: {error}"
    if status in TRANSIENT_STATUSES or status >= 500:
        raise TransientError(message, retry_after=retry_after)
    raise PermanentError(message)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A Retry-After header (delta seconds or an HTTP date) as seconds; None when absent/bad."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or {} when the body is not a JSON object."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class RateGate:
    """Shared pause: once a provider says its window is spent, every sender waits for the reset."""

    def __init__(self, *, channel: str, provider: str, max_wait_seconds: float = 60.0) -> None:
        self.channel = channel
        self.provider = provider
        self.max_wait_seconds = max_wait_seconds
        self._open_at = 0.0

    def close_for(self, seconds: float) -> None:
        """Hold every sender back for `seconds` (capped), extending an earlier pause only."""
        seconds = min(max(seconds, 0.0), self.max_wait_seconds)
        self._open_at = max(self._open_at, time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(self._open_at - time.monotonic(), 0.0)

    async def wait(self) -> None:
        """Sleep until the gate is open again (returns at once when it is open)."""
        delay = self.remaining()
        if delay <= 0:
            return
        RATE_LIMIT_WAITS.labels(self.channel, self.provider).inc()
        RATE_LIMIT_WAIT_SECONDS.labels(self.channel, self.provider).inc(delay)
        await asyncio.sleep(delay)


class SlidingWindowLimiter:
    """At most `limit` events per `window` seconds for each key (a chat, an account...)."""

    def __init__(self, *, limit: int, window: float, channel: str, provider: str) -> None:
        self.limit = limit
        self.window = window
        self.channel = channel
        self.provider = provider
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def acquire(self, key: str) -> float:
        """Wait for a free slot for `key` and take it; returns the seconds waited."""
        waited = 0.0
        async with self._locks[key]:
            events = self._events[key]
            while True:
                now = time.monotonic()
                while events and events[0] <= now - self.window:
                    events.popleft()
                if len(events) < self.limit:
                    events.append(now)
                    break
                delay = events[0] + self.window - now
                RATE_LIMIT_WAITS.labels(self.channel, self.provider).inc()
                RATE_LIMIT_WAIT_SECONDS.labels(self.channel, self.provider).inc(delay)
                waited += delay
                await asyncio.sleep(delay)
        return waited
