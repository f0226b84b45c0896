"""Reads beside writers: a read never waits for a write, a full writer queue answers 503,
and health answers while every request thread is taken (issue: a crowd of staff at once)."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pysqlite3.dbapi2 as sqlite
import pytest
from anyio import to_thread
from sqlalchemy import text

from tests.support.identity import FakeClock, Harness, fake_clock, harness_for, make_settings
from tests.support.vaults import new_vault, token_headers
from vault03_api.db import session_scope, writers
from vault03_api.transactions import WORKER_NICENESS, run_read, run_write

__all__ = ["fake_clock"]

# A request that hangs is what these tests catch; this only turns a hang into a failure.
HANG = 60
CUSTOMER = {"name": "Bea", "email": "bea@example.org", "preferred_channel": "email"}


@pytest.fixture
def harness(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Harness]:
    # maintenance_check_seconds=0: every access check and health reads the switch anew.
    yield from harness_for(make_settings(tmp_path, maintenance_check_seconds=0), fake_clock)


@contextmanager
def other_process_writing(harness: Harness) -> Iterator[None]:
    """A write transaction held open on the database by another connection (as the CLI)."""
    database = harness.state.settings.database_path
    connection = sqlite.connect(str(database), isolation_level=None, check_same_thread=False)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE users SET name = name")
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


@contextmanager
def this_process_writing(harness: Harness) -> Iterator[None]:
    """A write transaction of the API's own, held open on another thread."""
    started, done = threading.Event(), threading.Event()

    def hold() -> None:
        with session_scope(harness.state.engine) as session:
            session.execute(text("UPDATE users SET name = name"))
            started.set()
            done.wait(HANG)

    with ThreadPoolExecutor(max_workers=1) as pool:
        holder = pool.submit(hold)
        assert started.wait(HANG)
        try:
            yield
        finally:
            done.set()
            holder.result(HANG)


def _get(harness: Harness, path: str, headers: dict[str, str]) -> tuple[int, object]:
    with ThreadPoolExecutor(max_workers=1) as pool:
        response = pool.submit(harness.client.get, path, headers=headers).result(HANG)
    return response.status_code, response.json()


@pytest.mark.parametrize("writer", [other_process_writing, this_process_writing])
def test_reads_complete_while_a_write_transaction_is_held_open(
    harness: Harness, writer: Callable[[Harness], AbstractContextManager[None]]
) -> None:
    headers = token_headers(harness, "staff")
    vault_id = new_vault(harness, headers)
    listing = harness.client.get(f"/api/vaults/{vault_id}/files", headers=headers)
    assert listing.status_code == 200  # the token's first use is recorded here, not below
    with writer(harness):
        for path in (f"/api/vaults/{vault_id}/files", f"/api/vaults/{vault_id}", "/api/auth/me"):
            status, body = _get(harness, path, headers)
            assert status == 200, (path, body)
        assert _get(harness, "/api/health", {})[0] == 200


def test_a_full_writer_queue_answers_503_with_retry_after(harness: Harness) -> None:
    headers = token_headers(harness, "staff")
    vault_id = new_vault(harness, headers)
    assert harness.client.get("/api/customers", headers=headers).status_code == 200
    queue = writers(harness.state.engine)
    queue.bound = 0  # the write held below is the whole queue
    with this_process_writing(harness):
        refused = [
            harness.client.post("/api/customers", json=CUSTOMER, headers=headers),
            harness.client.put(
                f"/api/vaults/{vault_id}/files/a.txt", content=b"contents", headers=headers
            ),
        ]
        for response in refused:
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "1"
            assert response.json() == {
                "error": "the server is busy, try again shortly",
                "detail": {"reason": "too many writes waiting"},
            }
        # Reads go on meanwhile.
        assert harness.client.get("/api/customers", headers=headers).status_code == 200
    assert queue.queued == 0
    created = harness.client.post("/api/customers", json=CUSTOMER, headers=headers)
    assert created.status_code == 201, created.text


def test_health_answers_while_every_request_thread_is_taken(harness: Harness) -> None:
    portal = harness.client.portal
    assert portal is not None
    limiter = portal.call(to_thread.current_default_thread_limiter)
    borrowers = [object() for _ in range(int(limiter.total_tokens))]
    for borrower in borrowers:
        portal.call(limiter.acquire_on_behalf_of, borrower)
    try:
        assert limiter.available_tokens == 0
        status, body = _get(harness, "/api/health", {})
        assert status == 200, body
        assert isinstance(body, dict) and body["status"] == "ok"
    finally:
        for borrower in borrowers:
            portal.call(limiter.release_on_behalf_of, borrower)


def _thread_nice(_session: object = None) -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def _thread(_session: object = None) -> int:
    return threading.get_ident()


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are Linux's")
def test_request_work_runs_behind_the_event_loop(harness: Harness) -> None:
    # On busy cores the event loop (health, every response) must get the CPU before the
    # threads doing transactions and file chunks for requests.
    portal = harness.client.portal
    assert portal is not None
    engine = harness.state.engine

    async def nice_values() -> tuple[int, int, int]:
        loop = asyncio.get_running_loop()
        return (
            _thread_nice(),
            await run_write(engine, _thread_nice),
            await loop.run_in_executor(None, _thread_nice),
        )

    loop_nice, write_nice, file_nice = portal.call(nice_values)
    assert (write_nice, file_nice) == (WORKER_NICENESS,) * 2
    assert loop_nice < WORKER_NICENESS


def test_reads_run_on_the_event_loop(harness: Harness) -> None:
    # A snapshot read costs less than a hop to a thread (bench/README.md, crowd.py).
    portal = harness.client.portal
    assert portal is not None
    engine = harness.state.engine

    async def threads() -> tuple[int, int]:
        return threading.get_ident(), await run_read(engine, _thread)

    loop_thread, read_thread = portal.call(threads)
    assert read_thread == loop_thread
