"""A streaming reader for browser uploads (multipart/form-data): the `file` part's bytes are
handed on as they arrive, never spooled to a temporary file in the clear."""

from __future__ import annotations

from collections.abc import AsyncIterator

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from vault03_api.vaults.exceptions import BadUpload

FILE_FIELD = "file"
# Bytes allowed besides the file: other fields, part headers, boundaries.
FORM_OVERHEAD = 1 << 20


class MultipartFile:
    """Parses a form body; `start()` reads up to the file part's headers, then `body()`
    yields the file's bytes and reads (and ignores) whatever follows."""

    def __init__(self, source: AsyncIterator[bytes], *, content_type: str, limit: int) -> None:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise BadUpload("send multipart/form-data with a boundary")
        self._source = source
        self._limit = limit + FORM_OVERHEAD
        self._received = 0
        self._headers: dict[bytes, bytes] = {}
        self._field, self._value = b"", b""
        self._in_file = False
        self._file_seen = False
        self._file_done = False
        self._ended = False
        self._pending: list[bytes] = []
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
        if options.get(b"name") == FILE_FIELD.encode() and not self._file_seen:
            self._in_file = self._file_seen = True
            self.filename = options.get(b"filename", b"").decode("utf-8", errors="replace")
            content_type = self._headers.get(b"content-type", b"").decode("latin-1").strip()
            if content_type:
                self.content_type = content_type

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._pending.append(data[start:end])

    def _on_part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self._file_done = True

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
            # seal_stream enforces the file's own limit; this bounds everything else.
            raise BadUpload("the form is larger than the file size limit allows")
        try:
            self._parser.write(piece)
        except MultipartParseError as error:
            raise BadUpload(f"the form cannot be parsed: {error}") from None
        return True

    async def start(self) -> None:
        """Read until the file part begins; BadUpload if the form has none."""
        while not self._file_seen:
            if not await self._feed():
                raise BadUpload(f"the form has no `{FILE_FIELD}` field")

    async def body(self) -> AsyncIterator[bytes]:
        """The file part's bytes as they arrive."""
        while True:
            if self._pending:
                pending, self._pending = self._pending, []
                for piece in pending:
                    yield piece
            if self._file_done:
                break
            if not await self._feed():
                raise BadUpload("the form ended inside the file")
        while not self._ended and await self._feed():
            self._pending.clear()
        if not self._ended:
            raise BadUpload("the form is not terminated")
