"""File bodies in and out of the API: each step in its own short transaction, so that a long
transfer never holds the database's write lock.

Upload: check the vault and the limit on a snapshot; stream the body into a new blob
(encrypted, fsynced, renamed); then record it in a short write. Download: read the file and
unwrap its data key on a snapshot, audit the read in a short write; authenticate the first
chunk before any header is sent; stream the rest chunk by chunk.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import quote

import pysqlite3.dbapi2 as sqlite
from prometheus_client import Counter
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from starlette.responses import StreamingResponse

from vault03_api import clock
from vault03_api.audit.context import current
from vault03_api.blobs.crypto import IntegrityError, new_data_key
from vault03_api.blobs.storage import BlobStore, BodyTooLarge, open_range, seal_stream
from vault03_api.errors import disk_full_cause
from vault03_api.keyring import KeyRing
from vault03_api.transactions import WriteBatch, run_read, run_write
from vault03_api.vaults import service
from vault03_api.vaults.exceptions import (
    DownloadNotAudited,
    FileCorrupt,
    RangeNotSatisfiable,
    TooLarge,
)
from vault03_api.vaults.models import StoredFile

log = logging.getLogger(__name__)

INTEGRITY_FAILURES = Counter(
    "vault03_file_integrity_failures_total",
    "Stored files that failed authentication when read (downloads and verification).",
)
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


async def receive_file(
    *,
    engine: Engine,
    blobs: BlobStore,
    ring: KeyRing,
    max_file_bytes: int,
    vault_id: int,
    name: str,
    supersedes: service.Supersedes | None,
    content_type: str,
    body: AsyncIterator[bytes],
    declared_size: int | None,
    uploaded_by: int | None,
    on_record: Callable[[Session, StoredFile], None] | None = None,
) -> StoredFile:
    """Store an uploaded body as a new file of `vault_id`; TooLarge past the limits.

    The name is settled when the file is recorded (see service.add_file); `on_record` runs in
    that same transaction (and may refuse the file by raising)."""
    # A snapshot read: the limit is checked again inside the short write that records the file.
    bound = await run_read(
        engine, service.upload_limit, vault_id=vault_id, max_file_bytes=max_file_bytes
    )
    if declared_size is not None and declared_size > bound.limit:
        raise TooLarge("the file is too large", detail={"reason": bound.reason})
    file_id = str(uuid.uuid4())
    data_key = new_data_key()
    writer = blobs.create(file_id, data_key=data_key)
    try:
        sealed = await seal_stream(body, writer, limit=bound.limit)
    except BodyTooLarge:
        raise TooLarge("the file is too large", detail={"reason": bound.reason}) from None

    def record(session: Session) -> StoredFile:
        stored = service.add_file(
            session,
            vault_id=vault_id,
            file_id=file_id,
            name=name,
            supersedes=supersedes,
            content_type=content_type,
            body=sealed,
            data_key=data_key,
            ring=ring,
            uploaded_by=uploaded_by,
            max_file_bytes=max_file_bytes,
            now=clock.utcnow(),
        )
        if on_record is not None:
            on_record(session, stored)
        return stored

    # Shielded: once the commit has started it finishes even if the client goes away, so the
    # blob is removed only when the row is known not to exist (else the start-up sweep does).
    recording = asyncio.ensure_future(run_write(engine, record))
    try:
        return await asyncio.shield(recording)
    except asyncio.CancelledError:
        raise
    except BaseException:
        blobs.remove(file_id)
        raise


@dataclass(frozen=True)
class ByteRange:
    start: int
    stop: int  # exclusive


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single byte range asked for, None for the whole file (no header, or a form we
    may ignore, such as several ranges); RangeNotSatisfiable when outside the file."""
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(size)
        return ByteRange(max(size - length, 0), size)
    start = int(first)
    stop = min(int(last) + 1, size) if last else size
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(size)
    return ByteRange(start, stop)


async def report_integrity_failure(engine: Engine, *, file_id: str, error: Exception) -> None:
    """Log, count, audit and alert: a stored file failed authentication (its damaged bytes
    were not sent)."""
    INTEGRITY_FAILURES.inc()
    log.error("file integrity check failed", extra={"file_id": file_id, "error": str(error)})
    try:
        await run_write(
            engine, service.record_integrity_failure, file_id=file_id, reason=str(error)
        )
    except Exception:
        # The download is refused (or cut short) either way; the log line above remains.
        log.exception("could not audit the integrity failure or queue its alert")


@dataclass(frozen=True)
class Outgoing:
    """A download ready to send: the file, the range, and its authenticated bytes."""

    file: StoredFile
    range: ByteRange | None
    chunks: AsyncIterator[bytes]

    @property
    def length(self) -> int:
        return self.file.size if self.range is None else self.range.stop - self.range.start


_DOWNLOAD_AUDITS: weakref.WeakKeyDictionary[Engine, WriteBatch[service.DownloadRead]] = (
    weakref.WeakKeyDictionary()
)


def _download_audits(engine: Engine) -> WriteBatch[service.DownloadRead]:
    audits = _DOWNLOAD_AUDITS.get(engine)
    if audits is None:
        audits = _DOWNLOAD_AUDITS.setdefault(engine, WriteBatch(engine, service.record_downloads))
    return audits


async def _open_audited(
    engine: Engine, ring: KeyRing, file_id: str, version_id: str | None
) -> tuple[StoredFile, bytes]:
    """The file and its data key (read on a snapshot), once its read is in the audit log
    (written with the other downloads' of the moment): fails closed."""
    opened = await run_read(
        engine, service.open_for_download, file_id=file_id, ring=ring, version_id=version_id
    )
    try:
        await _download_audits(engine).add(service.DownloadRead(file_id, version_id, current()))
    except (DBAPIError, sqlite.Error) as error:  # the audit chain writes on the raw cursor
        if disk_full_cause(error) is not None:
            raise  # answered 507, storage full
        raise DownloadNotAudited(file_id) from error
    return opened


async def send_file(
    *,
    engine: Engine,
    blobs: BlobStore,
    ring: KeyRing,
    file_id: str,
    range_header: str | None,
    version_id: str | None = None,
) -> Outgoing:
    """Open a file (or one of its versions) for download; FileCorrupt (and an alert) if its
    first chunk is damaged."""
    try:
        stored, data_key = await _open_audited(engine, ring, file_id, version_id)
        wanted = parse_range(range_header, stored.size)
        start, stop = (0, stored.size) if wanted is None else (wanted.start, wanted.stop)
        reader = blobs.open(stored.id, data_key=data_key, size=stored.size)
        try:
            chunks = await open_range(reader, start, stop)
        except BaseException:
            reader.close()
            raise
    except IntegrityError as error:
        damaged = version_id or file_id
        await report_integrity_failure(engine, file_id=damaged, error=error)
        raise FileCorrupt(damaged) from None
    return Outgoing(stored, wanted, _guarded(engine, stored.id, chunks))


def download_response(outgoing: Outgoing) -> StreamingResponse:
    """The response for a download: 200, or 206 with Content-Range; never sniffed or cached."""
    stored = outgoing.file
    headers = {
        "Content-Length": str(outgoing.length),
        "Accept-Ranges": "bytes",
        # A file's contents never change under its id (a new upload is a new file), so the
        # id is a strong validator that says nothing about the contents.
        "ETag": f'"{stored.id}"',
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.name, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    status_code = 200
    if outgoing.range is not None:
        status_code = 206
        headers["Content-Range"] = (
            f"bytes {outgoing.range.start}-{outgoing.range.stop - 1}/{stored.size}"
        )
    return StreamingResponse(
        outgoing.chunks, status_code=status_code, headers=headers, media_type=stored.content_type
    )


async def _guarded(
    engine: Engine, file_id: str, chunks: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    # A later chunk failing authentication: alert, then end the response abnormally (the
    # client sees a short body against Content-Length), never sending the damaged chunk.
    try:
        async for chunk in chunks:
            yield chunk
    except IntegrityError as error:
        await report_integrity_failure(engine, file_id=file_id, error=error)
        raise
