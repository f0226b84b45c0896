"""Run a service function in its own committed transaction, off the event loop."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine

from vault03_api.db import read_only_cursor, read_only_session, session_scope

T = TypeVar("T")

# The login path's transactions run on threads of their own, reached by a plain executor hop:
# it costs the event loop less than anyio's worker threads (3% more logins at saturation in
# bench/login.py), and file I/O, on the default executor, cannot hold them up.
_TRANSACTION_THREADS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="auth-db")


def run_sync(engine: Engine, fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Commit when `fn` returns (even a failed login must be recorded), roll back if it raises."""
    with session_scope(engine) as session:
        result: T = fn(session, **kwargs)
    return result


def read_sync(engine: Engine, fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Run `fn` in a read-only transaction (it neither waits for nor holds the write lock)."""
    with read_only_session(engine) as session:
        result: T = fn(session, **kwargs)
    return result


def cursor_read_sync(engine: Engine, fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Run `fn` with a DB-API cursor in a read transaction (raw SQL, no ORM or Core)."""
    with read_only_cursor(engine) as cursor:
        return fn(cursor, **kwargs)


async def _off_loop(call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    # The request's audit context (who acts, from where) goes along to the thread.
    context = contextvars.copy_context()
    job = functools.partial(context.run, call, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_TRANSACTION_THREADS, job)


async def in_transaction(engine: Engine, fn: Callable[..., T], /, **kwargs: Any) -> T:
    """`run_sync` on a transaction thread, so the event loop keeps serving."""
    return await _off_loop(run_sync, engine, fn, **kwargs)


async def in_read_transaction(engine: Engine, fn: Callable[..., T], /, **kwargs: Any) -> T:
    """`read_sync` on a transaction thread."""
    return await _off_loop(read_sync, engine, fn, **kwargs)


async def in_cursor_read(engine: Engine, fn: Callable[..., T], /, **kwargs: Any) -> T:
    """`cursor_read_sync` on a transaction thread."""
    return await _off_loop(cursor_read_sync, engine, fn, **kwargs)
