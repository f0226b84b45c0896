"""A full disk: the data directory on a small real filesystem (tmpfs) filled to the last byte.
Every route refuses with 507 and the API's JSON error body, and no partial file is left."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support import IN_CI, NatsServer
from tests.support.api_process import ApiProcess
from tests.support.live_shares import share_over_http, staff_api_token
from vault03_api.blobs.crypto import new_data_key
from vault03_api.blobs.storage import BlobStore

STORAGE_FULL = {
    "error": "storage full",
    "detail": "the server's disk is full: nothing was stored; try again once an operator "
    "has freed space",
}


@contextmanager
def small_filesystem(path: Path, *, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` (needs root: skipped elsewhere, required in CI)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a small tmpfs here: {mounted.stderr.strip()}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=False)


def fill(directory: Path) -> Path:
    """A file that takes every byte left on `directory`'s filesystem."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as out:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError as error:
                assert error.errno == errno.ENOSPC
    return filler


def test_an_aborted_blob_leaves_no_partial_file_on_a_full_disk(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "files", size="1m") as files:
        blobs = BlobStore(files, chunk_size=1024)
        blobs.prepare()
        writer = blobs.create("0a1b2c", data_key=new_data_key())
        fill(files)
        # Sealed into the file's buffer; close() would flush it into a full disk.
        writer.write(b"x" * 1024, last=False)
        writer.abort()
        assert list(blobs.partial_dir.iterdir()) == []


@pytest.mark.fleet
def test_every_route_refuses_a_full_disk_with_507_json_and_recovers(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    root = tmp_path / "vault03"
    with small_filesystem(root / "data", size="32m") as data:
        api = ApiProcess(root, nats_url=nats_server.url)
        api.start()
        try:
            token = staff_api_token(data / "data.db")
            live = share_over_http(api.url, token, files={"a.txt": b"hello" * 1000})
            filler = fill(data)
            upload = ("PUT", f"/api/vaults/{live.vault_id}/files/b.bin", os.urandom(300_000))
            attempts = [
                upload,
                ("GET", f"/api/files/{live.file_ids['a.txt']}/content", None),  # not audited
                ("POST", f"/api/vaults/{live.vault_id}/shares", b"{}"),
                ("POST", "/api/auth/login", b'{"email": "x@example.org", "password": "wrong"}'),
            ]
            for method, path, body in attempts:
                kind = "application/json" if method == "POST" else "application/octet-stream"
                # A connection each: a refused upload's unread body ends its connection.
                response = httpx.request(
                    method,
                    f"{api.url}{path}",
                    content=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": kind},
                    timeout=30,
                )
                assert response.status_code == 507, (method, path, response.text)
                assert response.headers["content-type"] == "application/json"
                assert response.json() == STORAGE_FULL
            assert list((data / "files" / ".partial").iterdir()) == []
            filler.unlink()
            method, path, body = upload
            stored = httpx.request(
                method,
                f"{api.url}{path}",
                content=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            assert stored.status_code == 201, stored.text
        finally:
            api.stop()
    log = (root / "logs" / "vault03.log").read_text()
    assert "request refused: the disk is full" in log
