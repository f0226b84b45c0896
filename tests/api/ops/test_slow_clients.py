"""Slow and idle clients against a real API process (uvicorn) over real sockets: idle and
half-sent requests are closed, a stalled upload is aborted with its partial file and
descriptor released, a client that stops reading a download lets go of the blob."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import NatsServer, wait_for
from tests.support.api_process import ApiProcess
from tests.support.live_shares import (
    LiveShare,
    share_over_http,
    staff_api_token,
    stalling_upload,
)

DEADLINE_SECONDS = "2"
# How long a test waits for the server to close a connection before calling it kept forever.
PATIENCE_SECONDS = 60


@pytest.fixture
def api(tmp_path: Path, nats_server: NatsServer) -> Iterator[ApiProcess]:
    process = ApiProcess(
        tmp_path / "vault03",
        nats_url=nats_server.url,
        extra_env={
            "VAULT03_API_CLIENT_HEADER_TIMEOUT_SECONDS": DEADLINE_SECONDS,
            "VAULT03_API_CLIENT_BODY_TIMEOUT_SECONDS": DEADLINE_SECONDS,
            "VAULT03_API_SEND_TIMEOUT_SECONDS": DEADLINE_SECONDS,
        },
    )
    process.start()
    yield process
    process.stop()


def connect(api: ApiProcess, *, receive_buffer: int | None = None) -> socket.socket:
    sock = socket.socket()
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(("127.0.0.1", api.port))
    return sock


def closed_by_server(sock: socket.socket, *, deadline: float | None = None) -> bool:
    """Read (and drop) whatever comes until the server closes; False if it has not closed
    by `deadline` (time.monotonic(); PATIENCE_SECONDS from now by default)."""
    deadline = deadline or time.monotonic() + PATIENCE_SECONDS
    sock.settimeout(max(deadline - time.monotonic(), 0.1))
    try:
        while sock.recv(1 << 16):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        return False
    finally:
        sock.close()
    return True


def open_files(api: ApiProcess, under: Path) -> list[str]:
    """The API process's open descriptors on files under `under`."""
    assert api.process is not None
    found = []
    for fd in Path(f"/proc/{api.process.pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue
        if target.startswith(f"{under}/"):
            found.append(target)
    return found


def staff_vault(api: ApiProcess, files: dict[str, bytes]) -> tuple[str, LiveShare]:
    token = staff_api_token(api.root / "data" / "data.db")
    return token, share_over_http(api.url, token, files=files)


def test_idle_connections_and_half_sent_headers_are_closed(api: ApiProcess) -> None:
    idle = [connect(api) for _ in range(20)]
    half_sent = connect(api)
    half_sent.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never ends
    kept = [connect(api)]
    kept[0].sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    deadline = time.monotonic() + PATIENCE_SECONDS  # one wait for all of them
    closed = [closed_by_server(sock, deadline=deadline) for sock in [*idle, half_sent, *kept]]
    assert closed == [True] * len(closed)


def test_a_stalled_upload_is_aborted_and_its_partial_file_released(api: ApiProcess) -> None:
    token, live = staff_vault(api, {"a.txt": b"hello"})
    partial_dir = api.root / "data" / "files" / ".partial"
    upload = connect(api)
    upload.sendall(stalling_upload(vault_id=live.vault_id, token=token))
    wait_for(lambda: open_files(api, partial_dir), what="the upload's partial file open")
    assert closed_by_server(upload)
    wait_for(
        lambda: not open_files(api, partial_dir) and not list(partial_dir.iterdir()),
        what="the partial file closed and removed",
    )
    log = api.root / "logs" / "vault03.log"
    wait_for(
        lambda: "client disconnected before its request was read" in log.read_text(),
        what="the dropped upload logged",
    )
    assert "Exception in ASGI application" not in log.read_text()


def test_a_client_that_stops_reading_a_download_is_let_go(api: ApiProcess) -> None:
    token, live = staff_vault(api, {"big.bin": os.urandom(24 << 20)})
    files_dir = api.root / "data" / "files"
    download = connect(api, receive_buffer=4096)
    download.sendall(
        f"GET /api/files/{live.file_ids['big.bin']}/content HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    download.recv(1024)  # the response has started; nothing more is read
    wait_for(lambda: open_files(api, files_dir), what="the blob open for the download")
    wait_for(
        lambda: not open_files(api, files_dir),
        timeout=PATIENCE_SECONDS,
        what="the blob let go",
    )
    download.close()
