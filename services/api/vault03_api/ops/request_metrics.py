"""Requests counted and timed by route template (`vault03_http_*`), pure ASGI.

The route is the one the router matched (`scope["route"]`), read after the request: paths no
route matched are not counted (no cardinality blow-up from scanners). The names and labels
are those of starlette_exporter, which this replaces: it found the template by matching the
path against every route again, about a millisecond of event-loop time per request
(figures: bench/README.md, crowd.py).
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_LABELS = ("method", "path", "status_code", "app_name")
REQUESTS = Counter("vault03_http_requests_total", "Total HTTP requests", _LABELS)
DURATION = Histogram(
    "vault03_http_request_duration_seconds", "HTTP request duration, in seconds", _LABELS
)
IN_PROGRESS = Gauge(
    "vault03_http_requests_in_progress",
    "Total HTTP requests currently in progress",
    ("method", "app_name"),
    multiprocess_mode="livesum",
)


class RequestMetrics:
    """Counts, times and gauges the HTTP requests of `app` (`skip_paths` are left out)."""

    def __init__(self, app: ASGIApp, *, app_name: str, skip_paths: frozenset[str]) -> None:
        self.app = app
        self.app_name = app_name
        self.skip_paths = skip_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.skip_paths:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        begin = time.perf_counter()
        status = 500  # unless a response starts (an exception escaped, the client went away)
        end: float | None = None

        async def timed_send(message: Message) -> None:
            nonlocal status, end
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                end = time.perf_counter()
            await send(message)

        in_progress = IN_PROGRESS.labels(method, self.app_name)
        in_progress.inc()
        try:
            await self.app(scope, receive, timed_send)
        finally:
            in_progress.dec()
            route = scope.get("route")
            path = getattr(route, "path", None)
            if path is not None:
                labels = (method, path, str(status), self.app_name)
                REQUESTS.labels(*labels).inc()
                DURATION.labels(*labels).observe((end or time.perf_counter()) - begin)
