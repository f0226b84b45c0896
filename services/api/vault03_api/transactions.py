"""The one way to run database work from async code: a function taking a Session first,
run in its own transaction: reads on the event loop, writes on a thread.

    await run_read(engine, service.list_files, vault_id=3)    # a WAL snapshot, no write lock
    await run_write(engine, service.add_file, vault_id=3, ...)  # committed, in the write queue

ParamSpec carries the function's own signature: mypy checks every argument given here.
Plain `def` routes keep `deps.SessionDep` / `deps.ReadSessionDep` (FastAPI runs them on its
threads already). Background jobs that interleave several transactions with file work (the
purge, the orphan sweep, migrations) run whole on a thread (`asyncio.to_thread`) and open
`db.session_scope` per transaction: their writes queue in the same writer queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import functools
import os
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Concatenate, Generic, ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlmodel import Session

from vault03_api.db import (
    admitted_session_scope,
    read_only_cursor,
    read_only_session,
    session_scope,
    writers,
)

# The nice value of the threads that work for requests (transactions, file chunks). On two
# cores shared with other work, every wake-up of the event loop waited behind them for a time
# slice: health and every response queued there (figures: bench/README.md, crowd.py).
WORKER_NICENESS = 5


def behind_the_loop() -> None:
    """Run the calling thread at WORKER_NICENESS (Linux: per-thread nice values)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)


P = ParamSpec("P")
T = TypeVar("T")

# Reads run on the event loop itself: each is a short indexed read of a WAL snapshot, which
# neither waits for nor holds the write lock, and costs less than the hop to a thread would
# (every hop is dozens of context switches while the threads and the loop pass the GIL to
# each other: figures in bench/README.md, crowd.py). Writes run on threads of their own,
# reached by a plain executor hop (it costs the event loop less than anyio's worker
# threads), so that file I/O on the default executor cannot hold them up; they wait for
# their turn in `db.WriterQueue` (and for the commit's fsync) there, a little behind the
# event loop (see behind_the_loop). A few threads are enough.
_WRITE_THREADS = ThreadPoolExecutor(
    max_workers=4, thread_name_prefix="db-write", initializer=behind_the_loop
)


def write_now(
    engine: Engine, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run `fn` here and commit when it returns (a failed login must be recorded too),
    roll back if it raises."""
    with session_scope(engine) as session:
        return fn(session, *args, **kwargs)


def read_now(
    engine: Engine, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run `fn` here on a snapshot (it neither waits for nor holds the write lock)."""
    with read_only_session(engine) as session:
        return fn(session, *args, **kwargs)


def _admitted_write(
    engine: Engine, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    with admitted_session_scope(engine) as session:
        return fn(session, *args, **kwargs)


def _submit(executor: ThreadPoolExecutor, job: Callable[[], T]) -> Future[T]:
    # The request's audit context (who acts, from where) goes along to the thread.
    return executor.submit(contextvars.copy_context().run, job)


async def run_read(
    engine: Engine, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """`fn(session, ...)` on a snapshot, here on the event loop: keep `fn` to indexed reads
    of a bounded number of rows (a page of a list, a few lookups)."""
    return read_now(engine, fn, *args, **kwargs)


async def run_cursor_read(
    engine: Engine,
    fn: Callable[Concatenate[DBAPICursor, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """`fn(cursor, ...)` with a DB-API cursor on a snapshot (raw SQL for the hottest reads),
    here on the event loop as `run_read`."""
    with read_only_cursor(engine) as cursor:
        return fn(cursor, *args, **kwargs)


async def run_write(
    engine: Engine, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """`fn(session, ...)` committed in its turn on a write thread; WritersBusy (503) at once
    when the queue is full. Keep `fn` short: no network, no client I/O, no argon2."""
    queue = writers(engine)
    queue.admit()
    try:
        future = _submit(
            _WRITE_THREADS, functools.partial(_admitted_write, engine, fn, *args, **kwargs)
        )
    except BaseException:
        queue.leave()
        raise
    # Leaves the queue when done, or when cancelled before it started.
    future.add_done_callback(lambda _future: queue.leave())
    return await asyncio.wrap_future(future)


Item = TypeVar("Item")


class WriteBatch(Generic[Item]):
    """Small writes that many requests need at once (the audit row of each download), made
    together: each item waits for one write transaction (one commit, one fsync) holding every
    item that arrived while the previous one was being written, instead of a write of its own.

    `write(session, items)` runs in that transaction and gives, for each item, None (written)
    or the exception its request gets; if it raises, every item of the batch gets that.
    Each event loop has its batches (the API has one loop; a test client may run several)."""

    def __init__(
        self, engine: Engine, write: Callable[[Session, list[Item]], list[Exception | None]]
    ) -> None:
        self._engine = engine
        self._write = write
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batches[Item]] = (
            weakref.WeakKeyDictionary()
        )

    async def add(self, item: Item) -> None:
        """Return once `item` is committed (or raise what it got)."""
        loop = asyncio.get_running_loop()
        batches = self._loops.get(loop)
        if batches is None:
            batches = self._loops.setdefault(loop, _Batches())
        future = loop.create_future()
        batches.waiting.append((item, future))
        if batches.writing is None or batches.writing.done():
            batches.writing = loop.create_task(self._write_waiting(batches))
        await future

    async def _write_waiting(self, batches: _Batches[Item]) -> None:
        while batches.waiting:
            # An item whose request went away before its batch started is not written.
            batch = [(item, future) for item, future in batches.waiting if not future.cancelled()]
            batches.waiting = []
            if not batch:
                continue
            try:
                outcomes = await run_write(self._engine, self._write, [item for item, _ in batch])
            except Exception as error:
                outcomes = [error] * len(batch)
            except BaseException:
                for _, future in batch:
                    future.cancel()
                raise
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if outcome is None:
                    future.set_result(None)
                else:
                    future.set_exception(outcome)


@dataclasses.dataclass
class _Batches(Generic[Item]):
    """One event loop's items waiting for a write, and the task writing them."""

    waiting: list[tuple[Item, asyncio.Future[None]]] = dataclasses.field(default_factory=list)
    writing: asyncio.Task[None] | None = None
