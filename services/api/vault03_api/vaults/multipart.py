"""A streaming reader for browser uploads (multipart/form-data): each `file` part's bytes are
handed on as they arrive, never spooled to a temporary file in the clear."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from vault03_api.vaults.exceptions import BadUpload

FILE_FIELD = "file"
# Bytes allowed besides the files: other fields, part headers, boundaries.
FORM_OVERHEAD = 1 << 20


class FormBroken(BadUpload):
    """The form itself cannot be read further (not one of its files)."""


@dataclass(frozen=True)
class _Begin:
    filename: str
    content_type: str


_END = object()  # a file part ended


class MultipartFile:
    """Parses a form body. `next_file()` reads up to the next `file` part's headers (False
    once the form has no more), then `body()` yields that file's bytes as they arrive.
    `start()` and `body(drain=True)` read a form of one file: its first, the rest ignored."""

    def __init__(
        self, source: AsyncIterator[bytes], *, content_type: str, limit: int, files: int = 1
    ) -> None:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise BadUpload("send multipart/form-data with a boundary")
        self._source = source
        self._limit = limit * files + FORM_OVERHEAD
        self._received = 0
        self._headers: dict[bytes, bytes] = {}
        self._field, self._value = b"", b""
        self._in_file = False
        self._ended = False
        # What the parser found and the reader has not yet taken, in order.
        self._events: deque[_Begin | bytes | object] = deque()
        self.filename = ""
        self.content_type = "application/octet-stream"
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    # parser callbacks
    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if options.get(b"name") == FILE_FIELD.encode():
            self._in_file = True
            filename = options.get(b"filename", b"").decode("utf-8", errors="replace")
            content_type = self._headers.get(b"content-type", b"").decode("latin-1").strip()
            self._events.append(_Begin(filename, content_type or "application/octet-stream"))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._events.append(data[start:end])

    def _on_part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self._events.append(_END)

    def _on_end(self) -> None:
        self._ended = True

    async def _feed(self) -> bool:
        """Parse the next piece of the body; False at its end."""
        try:
            piece = await anext(self._source)
        except StopAsyncIteration:
            return False
        self._received += len(piece)
        if self._received > self._limit:
            # seal_stream enforces each file's own limit; this bounds everything else.
            raise FormBroken("the form is larger than the file size limit allows")
        try:
            self._parser.write(piece)
        except MultipartParseError as error:
            raise FormBroken(f"the form cannot be parsed: {error}") from None
        return True

    async def _next_event(self) -> _Begin | bytes | object | None:
        while not self._events:
            if not await self._feed():
                return None
        return self._events.popleft()

    async def next_file(self) -> bool:
        """Skip to the next file part (what is left of the current one included); False at
        the form's end."""
        while (event := await self._next_event()) is not None:
            if isinstance(event, _Begin):
                self.filename, self.content_type = event.filename, event.content_type
                return True
        if not self._ended:
            raise FormBroken("the form is not terminated")
        return False

    async def start(self) -> None:
        """Read until the first file part begins; BadUpload if the form has none."""
        if not await self.next_file():
            raise BadUpload(f"the form has no `{FILE_FIELD}` field")

    async def body(self, *, drain: bool = False) -> AsyncIterator[bytes]:
        """The current file part's bytes as they arrive; with `drain`, the rest of the form
        is then read (and ignored) and must be well terminated."""
        while (event := await self._next_event()) is not _END:
            if event is None:
                raise FormBroken("the form ended inside the file")
            if isinstance(event, bytes):
                yield event
        if drain:
            while await self._next_event() is not None:
                pass
            if not self._ended:
                raise FormBroken("the form is not terminated")
