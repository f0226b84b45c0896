"""Run a service function in its own committed transaction, off the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from vault03_api.db import read_only_connection, session_scope

T = TypeVar("T")


def run_sync(engine: Engine, fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Commit when `fn` returns (even a failed login must be recorded), roll back if it raises."""
    with session_scope(engine) as session:
        result: T = fn(session, **kwargs)
    return result


async def in_transaction(engine: Engine, fn: Callable[..., T], /, **kwargs: Any) -> T:
    """`run_sync` on a worker thread, so the event loop keeps serving."""
    return await run_in_threadpool(run_sync, engine, fn, **kwargs)


def read_sync(engine: Engine, fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Run `fn` in a read-only transaction (it neither waits for nor holds the write lock)."""
    with read_only_connection(engine) as connection, Session(bind=connection) as session:
        result: T = fn(session, **kwargs)
        session.rollback()
    return result


async def in_read_transaction(engine: Engine, fn: Callable[..., T], /, **kwargs: Any) -> T:
    """`read_sync` on a worker thread."""
    return await run_in_threadpool(read_sync, engine, fn, **kwargs)
