"""The file encryption layer: STREAM chunks, wrapped data keys, blobs on disk, Range reads."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from vault03_api.blobs.crypto import (
    CHUNK_SIZE,
    HEADER_SIZE,
    TAG_SIZE,
    ChunkCipher,
    IntegrityError,
    StreamHeader,
    blob_size,
    chunk_offset,
    new_data_key,
    rewrap_data_key,
    unwrap_data_key,
    wrap_data_key,
)
from vault03_api.blobs.storage import (
    BlobMissing,
    BlobReader,
    BlobStore,
    BodyTooLarge,
    open_range,
    seal_stream,
)
from vault03_api.keyring import KeyRing, write_key

CS = CHUNK_SIZE
SIZES = [0, 1, CS - 1, CS, CS + 1, 5 * CS + 12_345]


async def pieces(data: bytes, *, seed: int = 0) -> AsyncIterator[bytes]:
    """`data` in irregular pieces, as a network body arrives."""
    rng = random.Random(seed)
    offset = 0
    while offset < len(data):
        step = rng.choice([1, 7, 1000, 65_536, 200_000, CS + 3])
        yield data[offset : offset + step]
        offset += step
        await asyncio.sleep(0)


def store_body(store: BlobStore, data: bytes, *, limit: int | None = None) -> tuple[str, bytes]:
    file_id = str(uuid.uuid4())
    key = new_data_key()
    writer = store.create(file_id, data_key=key)
    body = asyncio.run(seal_stream(pieces(data), writer, limit=limit or len(data)))
    assert body.size == len(data)
    assert body.size == len(data)
    return file_id, key


def read_all(store: BlobStore, file_id: str, key: bytes, size: int) -> bytes:
    with store.open(file_id, data_key=key, size=size) as reader:
        return b"".join(reader.iter_range(0, size))


def read_until_error(store: BlobStore, file_id: str, key: bytes, size: int) -> bytes:
    """Whatever plaintext a download yields before it fails; the test expects the failure."""
    received = bytearray()
    with pytest.raises(IntegrityError), store.open(file_id, data_key=key, size=size) as reader:
        for part in reader.iter_range(0, size):
            received += part
        reader.digest()
    return bytes(received)


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    blob_store = BlobStore(tmp_path / "files")
    blob_store.prepare()
    return blob_store


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    write_key(tmp_path / "keys", 1)
    write_key(tmp_path / "keys", 2)
    return KeyRing.load(tmp_path / "keys")


@pytest.mark.parametrize("size", SIZES)
def test_round_trip(store: BlobStore, size: int) -> None:
    data = os.urandom(size)
    file_id, key = store_body(store, data)
    path = store.path(file_id)
    assert path.stat().st_size == blob_size(size, CS)
    if size >= 64:
        assert data[:64] not in path.read_bytes()
    assert read_all(store, file_id, key, size) == data
    with store.open(file_id, data_key=key, size=size) as reader:
        assert reader.digest() == hashlib.sha256(data).hexdigest()
    assert list(store.partial_dir.iterdir()) == []


@pytest.mark.parametrize("cached", ["all", "none", "every other chunk"])
@pytest.mark.parametrize("size", [0, CS, 3 * CS + 5])
async def test_async_download_matches(
    store: BlobStore, size: int, cached: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks not in the page cache (read_cached says None) are read on a thread instead.
    data = os.urandom(size)
    file_id = str(uuid.uuid4())
    key = new_data_key()
    await seal_stream(pieces(data), store.create(file_id, data_key=key), limit=size)
    cached_read = BlobReader.read_cached
    from_disk: list[int] = []

    def read_cached(self: BlobReader, index: int) -> bytes | None:
        if cached == "none" or (cached == "every other chunk" and index % 2):
            from_disk.append(index)
            return None
        chunk = cached_read(self, index)
        assert chunk is not None  # just written: in the page cache
        return chunk

    monkeypatch.setattr(BlobReader, "read_cached", read_cached)
    reader = store.open(file_id, data_key=key, size=size)
    received = b"".join([part async for part in await open_range(reader, 0, size)])
    assert received == data
    chunks = range(-(-size // CS) or 1)
    expected = {"all": [], "none": list(chunks), "every other chunk": list(chunks)[1::2]}
    assert from_disk == expected[cached]


RANGE_SIZE = 3 * CS + 100
RANGES = [
    (0, 1),
    (0, CS),
    (CS - 1, CS + 1),
    (CS, 2 * CS),
    (CS, CS + 1),
    (2 * CS - 1, 2 * CS),
    (3 * CS, RANGE_SIZE),
    (RANGE_SIZE - 1, RANGE_SIZE),
    (5, RANGE_SIZE - 5),
]


@pytest.mark.parametrize(("start", "stop"), RANGES)
async def test_range_decrypts_only_needed_chunks(
    store: BlobStore, start: int, stop: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(RANGE_SIZE)
    file_id, key = await asyncio.to_thread(store_body, store, data)
    opened: list[int] = []
    original = ChunkCipher.open

    def spy(self: ChunkCipher, index: int, ciphertext: bytes, *, last: bool) -> bytes:
        opened.append(index)
        return original(self, index, ciphertext, last=last)

    monkeypatch.setattr(ChunkCipher, "open", spy)
    reader = store.open(file_id, data_key=key, size=RANGE_SIZE)
    received = b"".join([part async for part in await open_range(reader, start, stop)])
    assert received == data[start:stop]
    assert opened == list(range(start // CS, (stop - 1) // CS + 1))
    opened.clear()
    with store.open(file_id, data_key=key, size=RANGE_SIZE) as sync_reader:
        assert b"".join(sync_reader.iter_range(start, stop)) == data[start:stop]
    assert opened == list(range(start // CS, (stop - 1) // CS + 1))


TAMPER_SIZE = 3 * CS + 777


@pytest.mark.parametrize(
    "position",
    [
        0,  # magic
        5,  # chunk size in the header
        HEADER_SIZE - 1,  # nonce prefix
        HEADER_SIZE,  # first byte of chunk 0
        chunk_offset(1, CS) - 1,  # tag of chunk 0
        chunk_offset(1, CS) + 100,  # inside chunk 1
        chunk_offset(3, CS) + 3,  # the last chunk
        blob_size(TAMPER_SIZE, CS) - 1,  # the last tag byte
    ],
)
def test_flipped_bit_is_detected_without_leaking(store: BlobStore, position: int) -> None:
    data = os.urandom(TAMPER_SIZE)
    file_id, key = store_body(store, data)
    path = store.path(file_id)
    blob = bytearray(path.read_bytes())
    blob[position] ^= 0x04
    path.write_bytes(bytes(blob))
    leaked = read_until_error(store, file_id, key, TAMPER_SIZE)
    damaged_chunk = max(0, (position - HEADER_SIZE) // (CS + TAG_SIZE))
    # Only the chunks before the damaged one were ever returned, and they are authentic.
    assert leaked == data[: damaged_chunk * CS]


def test_truncated_last_chunk_is_detected(store: BlobStore) -> None:
    size = 3 * CS + 10
    data = os.urandom(size)
    file_id, key = store_body(store, data)
    path = store.path(file_id)
    blob = path.read_bytes()
    path.write_bytes(blob[: chunk_offset(3, CS)])  # drop the whole last chunk
    assert read_until_error(store, file_id, key, size) == b""
    # Even if the recorded size is also rewritten to match, the chunk now read as the last
    # one was sealed as a middle chunk, so STREAM's last-chunk flag catches it.
    assert read_until_error(store, file_id, key, 3 * CS) == data[: 2 * CS]
    path.write_bytes(blob[:-1])
    assert read_until_error(store, file_id, key, size) == b""


def test_appended_bytes_are_detected(store: BlobStore) -> None:
    data = os.urandom(CS + 5)
    file_id, key = store_body(store, data)
    with store.path(file_id).open("ab") as handle:
        handle.write(b"\0" * (CS + TAG_SIZE))
    read_until_error(store, file_id, key, len(data))
    assert read_until_error(store, file_id, key, len(data) + CS) == data[:CS]


def test_swapped_chunks_are_detected(store: BlobStore) -> None:
    size = 3 * CS + 1
    data = os.urandom(size)
    file_id, key = store_body(store, data)
    path = store.path(file_id)
    blob = path.read_bytes()
    one, two, three = (chunk_offset(i, CS) for i in (0, 1, 2))
    path.write_bytes(blob[:one] + blob[two:three] + blob[one:two] + blob[three:])
    assert read_until_error(store, file_id, key, size) == b""


def test_swapped_data_keys_are_detected(store: BlobStore, ring: KeyRing) -> None:
    first, second = os.urandom(CS + 1), os.urandom(CS + 1)
    first_id, first_key = store_body(store, first)
    second_id, second_key = store_body(store, second)
    first_wrapped = wrap_data_key(ring, first_key, file_id=first_id, version=2)
    second_wrapped = wrap_data_key(ring, second_key, file_id=second_id, version=2)
    # The rows' wrapped keys exchanged: neither unwraps under the other file's id.
    with pytest.raises(IntegrityError):
        unwrap_data_key(ring, second_wrapped, file_id=first_id, version=2)
    with pytest.raises(IntegrityError):
        unwrap_data_key(ring, first_wrapped, file_id=second_id, version=2)
    # Raw keys exchanged: neither body opens, and nothing is returned.
    assert read_until_error(store, first_id, second_key, len(first)) == b""
    assert read_until_error(store, second_id, first_key, len(second)) == b""


def test_blob_moved_to_another_file_is_detected(store: BlobStore) -> None:
    data = os.urandom(100)
    file_id, key = store_body(store, data)
    other_id = str(uuid.uuid4())
    other = store.path(other_id)
    other.parent.mkdir(parents=True, exist_ok=True)
    store.path(file_id).rename(other)
    # Even with the right data key, the file id bound as associated data differs.
    assert read_until_error(store, other_id, key, len(data)) == b""


def test_stream_flags_bind_position_and_end() -> None:
    key = new_data_key()
    header = StreamHeader.new(16)
    cipher = ChunkCipher(key, file_id="f", header=header)
    middle = cipher.seal(0, b"a" * 16, last=False)
    last = cipher.seal(1, b"tail", last=True)
    assert cipher.open(0, middle, last=False) == b"a" * 16
    with pytest.raises(IntegrityError):
        cipher.open(0, middle, last=True)
    with pytest.raises(IntegrityError):
        cipher.open(0, last, last=True)
    with pytest.raises(IntegrityError):
        ChunkCipher(key, file_id="g", header=header).open(1, last, last=True)
    with pytest.raises(ValueError):
        cipher.seal(0, b"short", last=False)


def test_wrap_rewrap(ring: KeyRing) -> None:
    key = new_data_key()
    wrapped = wrap_data_key(ring, key, file_id="f", version=1)
    rewrapped = rewrap_data_key(ring, wrapped, file_id="f", version=1, new_version=2)
    assert unwrap_data_key(ring, rewrapped, file_id="f", version=2) == key
    assert key not in wrapped and key not in rewrapped
    with pytest.raises(IntegrityError):
        unwrap_data_key(ring, rewrapped, file_id="f", version=1)
    with pytest.raises(IntegrityError):
        unwrap_data_key(ring, wrapped, file_id="f", version=2)


def test_limit_stops_and_leaves_nothing(store: BlobStore) -> None:
    writer = store.create(str(uuid.uuid4()), data_key=new_data_key())
    with pytest.raises(BodyTooLarge):
        asyncio.run(seal_stream(pieces(os.urandom(3 * CS)), writer, limit=2 * CS + 1))
    assert list(store.partial_dir.iterdir()) == []
    assert list(store.blob_ids()) == []


async def test_cancelled_upload_leaves_nothing(store: BlobStore) -> None:
    started = asyncio.Event()

    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield os.urandom(65_536)
            started.set()

    writer = store.create(str(uuid.uuid4()), data_key=new_data_key())
    task = asyncio.create_task(seal_stream(endless(), writer, limit=1 << 40))
    await started.wait()
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(store.partial_dir.iterdir()) == []
    assert list(store.blob_ids()) == []


def test_missing_blob(store: BlobStore) -> None:
    with pytest.raises(BlobMissing):
        store.open(str(uuid.uuid4()), data_key=new_data_key(), size=1)


def test_sweep_removes_partials_and_unlisted_blobs(store: BlobStore) -> None:
    kept, _ = store_body(store, b"kept")
    orphan, _ = store_body(store, b"orphan")
    (store.partial_dir / "x.partial").write_bytes(b"half")
    removed = store.sweep(listed=lambda ids: {i for i in ids if i == kept})
    assert removed == 2
    assert set(store.blob_ids()) == {kept}
    assert list(store.partial_dir.iterdir()) == []
    with store.open(kept, data_key=new_data_key(), size=4) as reader:
        assert isinstance(reader, BlobReader)
    assert not store.exists(orphan)
