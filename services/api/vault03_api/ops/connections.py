"""Slow and idle clients: uvicorn's HTTP protocol with the deadlines nginx has and uvicorn lacks.

uvicorn closes a kept-alive connection that stays silent after a response, but nothing else:
a connection that never sends a request, sends its headers a byte at a time, stops sending a
body half way (holding an open partial blob), or stops reading a download, is kept forever.
Here, as nginx's client_header_timeout, client_body_timeout and send_timeout do:

- a request's headers must be complete within `header_seconds` of the connection's start or
  of the previous response's end;
- while a request body is being received, some of it must arrive every `body_seconds`
  (unless uvicorn itself stopped reading because the application is behind, or the client
  still waits for its 100 Continue);
- while a response cannot be written because the client does not read, the client must take
  some of it every `send_seconds`.

Past a deadline the connection is dropped: the application sees the client disconnect (an
upload aborts and removes its partial file; a download stops and closes its blob).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class BoundedHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with header, body-read and send deadlines (seconds, class attributes)."""

    header_seconds: float = 60.0
    body_seconds: float = 60.0
    send_seconds: float = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._body_deadline: asyncio.TimerHandle | None = None
        self._send_deadline: asyncio.TimerHandle | None = None

    def _drop(self) -> None:
        if not self.transport.is_closing():
            self.transport.abort()

    def _later(self, seconds: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return self.loop.call_later(seconds, callback)

    def _cancel_all(self) -> None:
        for timer in (self._header_deadline, self._body_deadline, self._send_deadline):
            if timer is not None:
                timer.cancel()
        self._header_deadline = self._body_deadline = self._send_deadline = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_deadline = self._later(self.header_seconds, self._drop)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_all()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._body_deadline is not None:  # still receiving the body: it moves
            self._body_deadline.cancel()
            self._body_deadline = self._later(self.body_seconds, self._body_stalled)

    def on_headers_complete(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None
        super().on_headers_complete()
        self._body_deadline = self._later(self.body_seconds, self._body_stalled)

    def on_message_complete(self) -> None:
        if self._body_deadline is not None:
            self._body_deadline.cancel()
            self._body_deadline = None
        super().on_message_complete()

    def _body_stalled(self) -> None:
        cycle = self.cycle
        if self.flow.read_paused or (cycle is not None and cycle.waiting_for_100_continue):
            # Not the client's doing: uvicorn stopped reading, or the client waits for us.
            self._body_deadline = self._later(self.body_seconds, self._body_stalled)
            return
        self._body_deadline = None
        self._drop()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self._header_deadline is None:
            self._header_deadline = self._later(self.header_seconds, self._drop)

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._send_deadline is None:
            self._send_deadline = self._later(self.send_seconds, self._drop)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._send_deadline is not None:
            self._send_deadline.cancel()
            self._send_deadline = None


def bounded_http_protocol(
    *, header_seconds: float, body_seconds: float, send_seconds: float
) -> type[BoundedHttpProtocol]:
    """The protocol class for uvicorn's `http=` with these deadlines."""
    return type(
        "ConfiguredHttpProtocol",
        (BoundedHttpProtocol,),
        {
            "header_seconds": header_seconds,
            "body_seconds": body_seconds,
            "send_seconds": send_seconds,
        },
    )
