"""`vault03 files verify`: every stored file read back and every chunk authenticated (the
STREAM construction binds each chunk's place, the last-chunk flag and the file id, so a
blob that authenticates whole is the one that was written)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import col, select

from vault03_api.blobs.crypto import IntegrityError, unwrap_data_key
from vault03_api.blobs.storage import BlobMissing, BlobStore
from vault03_api.db import session_scope
from vault03_api.keyring import KeyRing, KeyRingError
from vault03_api.vaults.models import StoredFile

_BATCH = 200


@dataclass(frozen=True)
class Verdict:
    file_id: str
    name: str
    status: str  # ok | missing | corrupt
    detail: str = ""


def _batches(engine: Engine) -> Iterator[list[StoredFile]]:
    after = ""
    while True:
        # Short read transactions: the API keeps writing while the blobs are checked.
        with session_scope(engine) as session:
            batch = list(
                session.exec(
                    select(StoredFile)
                    .where(col(StoredFile.id) > after)
                    .order_by(col(StoredFile.id))
                    .limit(_BATCH)
                ).all()
            )
        if not batch:
            return
        yield batch
        after = batch[-1].id


def verify_file(stored: StoredFile, *, ring: KeyRing, blobs: BlobStore) -> Verdict:
    try:
        data_key = unwrap_data_key(
            ring, stored.wrapped_key, file_id=stored.id, version=stored.key_version
        )
        with blobs.open(stored.id, data_key=data_key, size=stored.size) as reader:
            reader.digest()  # authenticates every chunk
    except BlobMissing as error:
        return Verdict(stored.id, stored.name, "missing", str(error))
    except (IntegrityError, KeyRingError) as error:
        return Verdict(stored.id, stored.name, "corrupt", str(error))
    return Verdict(stored.id, stored.name, "ok")


def verify_all(engine: Engine, *, ring: KeyRing, blobs: BlobStore) -> Iterator[Verdict]:
    """A verdict for every file row (deleted files not yet purged included)."""
    for batch in _batches(engine):
        for stored in batch:
            yield verify_file(stored, ring=ring, blobs=blobs)
