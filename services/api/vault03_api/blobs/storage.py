"""Encrypted blobs on disk: written aside, fsynced and renamed into place; read by chunk.

A blob is first written to `<files>/.partial/<id>.partial`, fsynced, then renamed to
`<files>/<id[:2]>/<id>.blob` and the directory fsynced; only then is its row committed. A crash
leaves a partial file (never listed) or a blob without a row (never listed); `sweep` removes
both at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from vault03_api.blobs.crypto import (
    CHUNK_SIZE,
    HEADER_SIZE,
    TAG_SIZE,
    ChunkCipher,
    IntegrityError,
    StreamHeader,
    blob_size,
    chunk_count,
    chunk_offset,
)

log = logging.getLogger(__name__)

# Chunks the kernel is asked to read ahead of the one being sent (posix_fadvise WILLNEED),
# so that a download from disk finds them in the page cache.
READ_AHEAD_CHUNKS = 3

PARTIAL_DIR = ".partial"
BLOB_SUFFIX = ".blob"
# Flush-behind: every this many bytes a background fdatasync starts, so the disk writes while
# the rest of the body arrives instead of all at once in the final fsync.
FLUSH_BEHIND_BYTES = 16 << 20
_flushers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="blob-flush")


class BlobMissing(IntegrityError):
    """The blob of a listed file is not on disk."""


class BodyTooLarge(Exception):
    """The body being stored went past the limit it was given."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than {limit} bytes")
        self.limit = limit


def fsync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class SealedBody:
    """What storing a body produced: its plaintext size. (No digest of the plaintext is kept:
    a stored one would let whoever holds the database confirm a guessed document.)"""

    size: int


class BlobWriter:
    """One blob being written; `write` runs in a worker thread, chunk by chunk, in order."""

    def __init__(
        self, *, partial: Path, final: Path, data_key: bytes, file_id: str, chunk_size: int
    ) -> None:
        self.partial = partial
        self.final = final
        self.chunk_size = chunk_size
        header = StreamHeader.new(chunk_size)
        self._cipher = ChunkCipher(data_key, file_id=file_id, header=header)
        self._index = 0
        self._size = 0
        self._done = False
        self._unflushed = 0
        self._flush: Future[None] | None = None
        # write() may still be running in a thread when a cancelled upload aborts.
        self._lock = threading.Lock()
        self._file = open(partial, "xb")  # noqa: SIM115  (closed by finish or abort)
        self._file.write(header.pack())

    def write(self, plaintext: bytes | memoryview, *, last: bool) -> None:
        """Seal and append the next chunk."""
        with self._lock:
            if self._done:
                raise RuntimeError("the blob is already finished or aborted")
            sealed = self._cipher.seal(self._index, plaintext, last=last)
            self._file.write(sealed)
            self._index += 1
            self._size += len(plaintext)
            self._unflushed += len(sealed)
            if self._unflushed >= FLUSH_BEHIND_BYTES and (
                self._flush is None or self._flush.done()
            ):
                self._unflushed = 0
                self._file.flush()
                self._flush = _flushers.submit(os.fdatasync, self._file.fileno())

    def _wait_flush(self) -> None:
        # The descriptor must stay open until a background flush on it has returned.
        if self._flush is not None:
            self._flush.exception()
            self._flush = None

    def finish(self) -> SealedBody:
        """Make the blob durable under its final name."""
        with self._lock:
            self._file.flush()
            self._wait_flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._done = True
            parent = self.final.parent
            if not parent.is_dir():
                parent.mkdir(parents=True, exist_ok=True)
                fsync_dir(parent.parent)
            os.rename(self.partial, self.final)
            fsync_dir(parent)
            return SealedBody(size=self._size)

    def abort(self) -> None:
        """Close and delete the partial file; safe to call more than once."""
        with self._lock:
            self._done = True
            try:
                self._wait_flush()
                # On a full disk the buffered tail cannot be flushed and close() says so, yet
                # the descriptor is closed all the same: the partial file must go regardless.
                with contextlib.suppress(OSError):
                    self._file.close()
            finally:
                self.partial.unlink(missing_ok=True)


async def seal_stream(
    source: AsyncIterator[bytes], writer: BlobWriter, *, limit: int
) -> SealedBody:
    """Encrypt `source` into `writer` in constant memory; raises BodyTooLarge past `limit`.

    The event loop gathers the next chunk while a worker thread hashes, seals and writes the
    previous one, so the network, the cipher and the disk overlap."""
    loop = asyncio.get_running_loop()
    chunk_size = writer.chunk_size
    pending: asyncio.Future[None] | None = None
    pieces: list[bytes] = []
    buffered = 0
    received = 0
    try:
        async for piece in source:
            received += len(piece)
            if received > limit:
                raise BodyTooLarge(limit)
            pieces.append(piece)
            buffered += len(piece)
            if buffered <= chunk_size:
                continue
            # More than a chunk is buffered, so every full chunk cut here is not the last.
            data = b"".join(pieces)
            view = memoryview(data)
            offset = 0
            while buffered - offset > chunk_size:
                if pending is not None:
                    await pending
                chunk = view[offset : offset + chunk_size]
                pending = loop.run_in_executor(None, _write_middle, writer, chunk)
                offset += chunk_size
            pieces = [data[offset:]]
            buffered -= offset
        if pending is not None:
            await pending
            pending = None
        await loop.run_in_executor(None, _write_last, writer, b"".join(pieces))
        return await loop.run_in_executor(None, writer.finish)
    except BaseException:
        if pending is not None and not pending.done():
            pending.cancel()
        await asyncio.shield(loop.run_in_executor(None, writer.abort))
        raise


def _write_middle(writer: BlobWriter, chunk: memoryview) -> None:
    writer.write(chunk, last=False)


def _write_last(writer: BlobWriter, chunk: bytes) -> None:
    writer.write(chunk, last=True)


class BlobReader:
    """An open blob whose chunks are read and authenticated one at a time."""

    def __init__(self, path: Path, *, data_key: bytes, file_id: str, size: int) -> None:
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise BlobMissing(f"the blob of file {file_id} is missing") from None
        self._lock = threading.Lock()
        try:
            header = StreamHeader.parse(os.pread(self._fd, HEADER_SIZE, 0))
            expected = blob_size(size, header.chunk_size)
            actual = os.fstat(self._fd).st_size
            if actual != expected:
                raise IntegrityError(
                    f"the blob of file {file_id} is {actual} bytes, {expected} expected: "
                    "truncated or extended"
                )
        except BaseException:
            os.close(self._fd)
            raise
        self.size = size
        self.chunk_size = header.chunk_size
        self.chunks = chunk_count(size, header.chunk_size)
        self._cipher = ChunkCipher(data_key, file_id=file_id, header=header)
        self._closed = False

    def _span(self, index: int) -> tuple[int, bool]:
        """The length on disk of chunk `index`, and whether it is the last."""
        last = index == self.chunks - 1
        return (self.size - index * self.chunk_size if last else self.chunk_size) + TAG_SIZE, last

    def read_chunk(self, index: int) -> bytes:
        """The plaintext of chunk `index`, authenticated (raises IntegrityError otherwise)."""
        length, last = self._span(index)
        with self._lock:
            if self._closed:
                raise RuntimeError("the blob is closed")
            data = os.pread(self._fd, length, chunk_offset(index, self.chunk_size))
        if len(data) != length:
            raise IntegrityError(f"chunk {index} is short")
        return self._cipher.open(index, data, last=last)

    def read_cached(self, index: int) -> bytes | None:
        """`read_chunk(index)` when the chunk's bytes are all in the page cache, else None:
        it never waits for the disk (RWF_NOWAIT), so it may run on the event loop."""
        length, last = self._span(index)
        view = _scratch(length)
        with self._lock:
            if self._closed:
                raise RuntimeError("the blob is closed")
            try:
                read = os.preadv(
                    self._fd, [view], chunk_offset(index, self.chunk_size), os.RWF_NOWAIT
                )
            except (BlockingIOError, OSError):  # not cached, or no RWF_NOWAIT here
                return None
        if read != length:
            return None  # partly cached (or short: read_chunk says which)
        return self._cipher.open(index, view, last=last)

    def advise(self, index: int) -> None:
        """Ask the kernel to read chunks `index`.. ahead (without waiting for them). Only
        worth it once a chunk was not in the page cache: for cached ones the kernel walks
        the cache for nothing (a tenth of a cached download's CPU)."""
        if index < self.chunks:
            start = chunk_offset(index, self.chunk_size)
            with contextlib.suppress(OSError):
                os.posix_fadvise(
                    self._fd,
                    start,
                    READ_AHEAD_CHUNKS * (self.chunk_size + TAG_SIZE),
                    os.POSIX_FADV_WILLNEED,
                )

    def iter_range(self, start: int, stop: int) -> Iterator[bytes]:
        """Plaintext bytes [start, stop), decrypting only the chunks that hold them."""
        for index in range(start // self.chunk_size, self.chunks):
            base = index * self.chunk_size
            if base >= stop:
                break
            yield _cut(self.read_chunk(index), base, start, stop)

    def digest(self) -> str:
        """SHA-256 of the whole plaintext, authenticating every chunk (even an empty one)."""
        sha = hashlib.sha256()
        for index in range(self.chunks):
            sha.update(self.read_chunk(index))
        return sha.hexdigest()

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                os.close(self._fd)

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SCRATCH = threading.local()


def _scratch(length: int) -> memoryview:
    """A buffer of `length` bytes for this thread's next read (the chunk opened from it is a
    new object): a fresh one per download cost a zeroed megabyte each."""
    buffer: bytearray | None = getattr(_SCRATCH, "buffer", None)
    if buffer is None or len(buffer) < length:
        buffer = _SCRATCH.buffer = bytearray(length)
    return memoryview(buffer)[:length]


def _cut(chunk: bytes, base: int, start: int, stop: int) -> bytes:
    """The part of a chunk beginning at plaintext offset `base` that lies in [start, stop)."""
    if base >= start and base + len(chunk) <= stop:
        return chunk
    return chunk[max(start - base, 0) : stop - base]


async def open_range(reader: BlobReader, start: int, stop: int) -> AsyncIterator[bytes]:
    """Plaintext [start, stop) as an async iterator. The first chunk is read and authenticated
    before this returns, so a damaged blob is reported before any byte is sent.

    Chunks whose bytes are in the page cache are read and opened here on the event loop (a
    hop to a thread would cost more than the read: bench/README.md, crowd.py); the others in
    a worker thread, the kernel asked to read the next few meanwhile."""
    first = min(start // reader.chunk_size, reader.chunks - 1)
    end = min(reader.chunks, -(-stop // reader.chunk_size)) if stop > start else first
    head = await _read(reader, first)
    return _stream(reader, head, first, end, start, stop)


async def _read(reader: BlobReader, index: int) -> bytes:
    chunk = reader.read_cached(index)
    if chunk is None:
        reader.advise(index + 1)
        chunk = await asyncio.get_running_loop().run_in_executor(None, reader.read_chunk, index)
    return chunk


async def _stream(
    reader: BlobReader, head: bytes, first: int, end: int, start: int, stop: int
) -> AsyncIterator[bytes]:
    try:
        yield _cut(head, first * reader.chunk_size, start, stop)
        for index in range(first + 1, end):
            yield _cut(await _read(reader, index), index * reader.chunk_size, start, stop)
    finally:
        reader.close()  # a read still running in a thread then fails on the closed blob, unseen


class BlobStore:
    """Where the encrypted blobs live: one directory, two-character fan-out by file id."""

    def __init__(self, root: Path, *, chunk_size: int = CHUNK_SIZE) -> None:
        self.root = root
        self.partial_dir = root / PARTIAL_DIR
        self.chunk_size = chunk_size

    def prepare(self) -> None:
        self.partial_dir.mkdir(parents=True, exist_ok=True)

    def path(self, file_id: str) -> Path:
        return self.root / file_id[:2] / f"{file_id}{BLOB_SUFFIX}"

    def create(self, file_id: str, *, data_key: bytes) -> BlobWriter:
        """A writer for a new blob (in the partial directory until finished)."""
        return BlobWriter(
            partial=self.partial_dir / f"{file_id}.partial",
            final=self.path(file_id),
            data_key=data_key,
            file_id=file_id,
            chunk_size=self.chunk_size,
        )

    def open(self, file_id: str, *, data_key: bytes, size: int) -> BlobReader:
        return BlobReader(self.path(file_id), data_key=data_key, file_id=file_id, size=size)

    def exists(self, file_id: str) -> bool:
        return self.path(file_id).is_file()

    def remove(self, file_id: str) -> bool:
        """Delete a blob; False when it was already gone."""
        try:
            self.path(file_id).unlink()
        except FileNotFoundError:
            return False
        return True

    def blob_ids(self) -> Iterator[str]:
        """Every file id that has a blob on disk."""
        for path in self.root.glob(f"??/*{BLOB_SUFFIX}"):
            yield path.name.removesuffix(BLOB_SUFFIX)

    def sweep(self, *, listed: Callable[[Iterable[str]], set[str]]) -> int:
        """Remove partial files and blobs whose id `listed` does not know; the number removed.

        Run only while no upload is in flight (at start-up)."""
        removed = 0
        if self.partial_dir.is_dir():
            for partial in self.partial_dir.iterdir():
                partial.unlink(missing_ok=True)
                removed += 1
        ids = list(self.blob_ids())
        known = listed(ids)
        for file_id in ids:
            if file_id not in known:
                log.warning("removing an orphan blob", extra={"file_id": file_id})
                self.remove(file_id)
                removed += 1
        return removed
