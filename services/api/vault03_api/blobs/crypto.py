"""Envelope encryption of file bodies.

Each file has its own random 256-bit data key (DEK), stored in the database wrapped by a
master key (KEK) version. The body is sealed in AES-256-GCM chunks with the STREAM
construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015): chunk i is encrypted under the nonce
`prefix(7) || i(4, big-endian) || last(1)`, so reordering, dropping, truncating or extending
the chunk sequence fails authentication. The blob header and the file id are associated data
of every chunk, so a blob cannot be passed off as another file's, nor its header edited.

Blob layout: header (16 bytes: magic, format, chunk size, nonce prefix), then the chunks, each
`chunk_size + 16` bytes except the last, which holds the remaining 0..chunk_size bytes. An empty
file is one empty last chunk.
"""

from __future__ import annotations

import functools
import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vault03_api.keyring import KeyRing

# 1 MiB: large enough that per-chunk overhead (a thread hand-off, one AEAD call) is lost in
# the transfer, small enough that a Range request decrypts little more than it returns.
CHUNK_SIZE = 1 << 20
DATA_KEY_BYTES = 32
TAG_SIZE = 16
NONCE_PREFIX_SIZE = 7
MAGIC = b"V03F"
FORMAT_VERSION = 1
MAX_CHUNKS = 1 << 32

_HEADER = struct.Struct(">4sBI7s")
HEADER_SIZE = _HEADER.size
_COUNTER = struct.Struct(">IB")
_WRAP_INFO = b"vault03 data key wrap v1"
_WRAP_NONCE_SIZE = 12


class IntegrityError(Exception):
    """A blob, chunk or wrapped data key failed authentication or has the wrong shape."""


def new_data_key() -> bytes:
    """A fresh random data key for one file."""
    return os.urandom(DATA_KEY_BYTES)


def _wrapping_key(ring: KeyRing, version: int) -> AESGCM:
    return _wrapping_key_of(ring.key(version))


@functools.lru_cache(maxsize=16)
def _wrapping_key_of(master_key: bytes) -> AESGCM:
    # A subkey per purpose: the master key itself never keys AES directly. Derived once per
    # master key (every download unwraps a data key).
    subkey = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_WRAP_INFO).derive(
        master_key
    )
    return AESGCM(subkey)


def _wrap_ad(file_id: str, version: int) -> bytes:
    return b"vault03 dek|%s|%d" % (file_id.encode(), version)


def wrap_data_key(ring: KeyRing, data_key: bytes, *, file_id: str, version: int) -> bytes:
    """The data key sealed under master key `version`, bound to its file id."""
    nonce = os.urandom(_WRAP_NONCE_SIZE)
    return nonce + _wrapping_key(ring, version).encrypt(nonce, data_key, _wrap_ad(file_id, version))


def unwrap_data_key(ring: KeyRing, wrapped: bytes, *, file_id: str, version: int) -> bytes:
    """Open a wrapped data key; a key moved to another file or version fails."""
    try:
        data_key = _wrapping_key(ring, version).decrypt(
            wrapped[:_WRAP_NONCE_SIZE], wrapped[_WRAP_NONCE_SIZE:], _wrap_ad(file_id, version)
        )
    except InvalidTag:
        raise IntegrityError(f"the data key of file {file_id} failed authentication") from None
    if len(data_key) != DATA_KEY_BYTES:
        raise IntegrityError(f"the data key of file {file_id} has the wrong length")
    return data_key


def rewrap_data_key(
    ring: KeyRing, wrapped: bytes, *, file_id: str, version: int, new_version: int
) -> bytes:
    """The same data key wrapped under `new_version` (the file body is not touched)."""
    data_key = unwrap_data_key(ring, wrapped, file_id=file_id, version=version)
    return wrap_data_key(ring, data_key, file_id=file_id, version=new_version)


@dataclass(frozen=True)
class StreamHeader:
    """The first bytes of every blob."""

    chunk_size: int
    nonce_prefix: bytes

    @classmethod
    def new(cls, chunk_size: int = CHUNK_SIZE) -> StreamHeader:
        return cls(chunk_size=chunk_size, nonce_prefix=os.urandom(NONCE_PREFIX_SIZE))

    def pack(self) -> bytes:
        return _HEADER.pack(MAGIC, FORMAT_VERSION, self.chunk_size, self.nonce_prefix)

    @classmethod
    def parse(cls, data: bytes) -> StreamHeader:
        """Read a header; its values are authenticated later, as associated data."""
        if len(data) != HEADER_SIZE:
            raise IntegrityError("the blob is shorter than its header")
        magic, version, chunk_size, prefix = _HEADER.unpack(data)
        if magic != MAGIC or version != FORMAT_VERSION:
            raise IntegrityError("the blob header is not a VAULT03 v1 header")
        if not 0 < chunk_size <= 64 << 20:
            raise IntegrityError("the blob header has an impossible chunk size")
        return cls(chunk_size=chunk_size, nonce_prefix=prefix)


def chunk_count(size: int, chunk_size: int) -> int:
    """Chunks holding `size` plaintext bytes (at least one: the last may be empty)."""
    return max(1, -(-size // chunk_size))


def blob_size(size: int, chunk_size: int) -> int:
    """Bytes on disk for `size` plaintext bytes."""
    return HEADER_SIZE + size + TAG_SIZE * chunk_count(size, chunk_size)


def chunk_offset(index: int, chunk_size: int) -> int:
    """Where chunk `index` starts in the blob."""
    return HEADER_SIZE + index * (chunk_size + TAG_SIZE)


class ChunkCipher:
    """Seals and opens the chunks of one file."""

    def __init__(self, data_key: bytes, *, file_id: str, header: StreamHeader) -> None:
        self._aead = AESGCM(data_key)
        self._prefix = header.nonce_prefix
        self._ad = header.pack() + file_id.encode()
        self.chunk_size = header.chunk_size

    def _nonce(self, index: int, last: bool) -> bytes:
        if not 0 <= index < MAX_CHUNKS:
            raise ValueError("chunk counter out of range")
        return self._prefix + _COUNTER.pack(index, 1 if last else 0)

    def seal(self, index: int, plaintext: bytes | memoryview, *, last: bool) -> bytes:
        if len(plaintext) > self.chunk_size or (not last and len(plaintext) != self.chunk_size):
            raise ValueError("only the last chunk may be shorter than the chunk size")
        return self._aead.encrypt(self._nonce(index, last), plaintext, self._ad)

    def open(self, index: int, ciphertext: bytes | memoryview, *, last: bool) -> bytes:
        """The chunk's plaintext, only after its tag is verified."""
        try:
            return self._aead.decrypt(self._nonce(index, last), ciphertext, self._ad)
        except InvalidTag:
            raise IntegrityError(f"chunk {index} failed authentication") from None
