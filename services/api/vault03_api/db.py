"""SQLite engine (the bundled SQLite of pysqlite3), the pragmas every connection gets, and the
one writer discipline: reads run on WAL snapshots, writes take turns in a bounded queue.

SQLite in WAL mode serves any number of readers beside one writer. A read transaction
(`BEGIN`) neither waits for nor holds the write lock; a write transaction (`BEGIN IMMEDIATE`)
takes it up front. Writers of this process wait for their turn here, in the API, rather than
in SQLite's busy loop: when more than `WriterQueue.bound` are waiting, the next one is refused
at once with a 503 and `Retry-After` (WritersBusy), never a 500 after a long wait.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pysqlite3.dbapi2 as sqlite
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlmodel import Session

from vault03_api.errors import AppError

# Other processes (the CLI) still meet the API's writers in SQLite's busy loop.
BUSY_TIMEOUT_MS = 10_000
WRITER_QUEUE_MAX = 64
WRITER_WAIT_SECONDS = 10.0
WRITER_RETRY_AFTER_SECONDS = 1
# Larger than the number of threads that use the engine (request threads, transaction threads,
# background tasks), so that no thread ever waits for a connection: a connection costs a
# file handle and SQLite's page cache, opened only when needed.
POOL_SIZE = 16
POOL_OVERFLOW = 96


class WritersBusy(AppError):
    """503: more writers are waiting for the database than the API lets queue."""

    status_code = 503

    def __init__(self) -> None:
        super().__init__(
            "the server is busy, try again shortly",
            detail={"reason": "too many writes waiting"},
            headers={"Retry-After": str(WRITER_RETRY_AFTER_SECONDS)},
        )


class WriterQueue:
    """One write transaction at a time in this process, at most `bound` waiting for it."""

    def __init__(self, *, bound: int = WRITER_QUEUE_MAX, wait_seconds: float = WRITER_WAIT_SECONDS):
        self.bound = bound
        self.wait_seconds = wait_seconds
        self._turn = threading.Lock()
        self._guard = threading.Lock()
        self._queued = 0  # admitted and not yet done (the one writing included)
        self._holder: int | None = None

    def admit(self) -> None:
        """Join the queue, or WritersBusy when `bound` are already waiting."""
        with self._guard:
            if self._queued > self.bound:
                raise WritersBusy()
            self._queued += 1

    def leave(self) -> None:
        """Leave the queue (every `admit` is paired with one `leave`)."""
        with self._guard:
            self._queued -= 1

    @property
    def queued(self) -> int:
        """Writers admitted and not yet done."""
        return self._queued

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the write turn (already admitted); WritersBusy after `wait_seconds`."""
        if self._holder == threading.get_ident():
            yield  # nested in this thread's own write: it already holds the turn
            return
        if not self._turn.acquire(timeout=self.wait_seconds):
            raise WritersBusy()
        self._holder = threading.get_ident()
        try:
            yield
        finally:
            self._holder = None
            self._turn.release()


_QUEUES: weakref.WeakKeyDictionary[Engine, WriterQueue] = weakref.WeakKeyDictionary()


def writers(engine: Engine) -> WriterQueue:
    """The queue of `engine`'s writers in this process."""
    queue = _QUEUES.get(engine)
    if queue is None:
        queue = _QUEUES.setdefault(engine, WriterQueue())
    return queue


def create_db_engine(path: Path) -> Engine:
    """An engine on `path` in WAL mode with synchronous=FULL, foreign keys and a busy timeout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{path}",
        module=sqlite,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_pre_ping=False,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    writers(engine)
    return engine


def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _on_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that later writes can
    # fail with SQLITE_BUSY at once (no busy wait) when another writer got in first.
    # Connections that only read (see read_only_connection) need not queue for that lock.
    # query_only makes a write slipped into a read fail loudly, instead of taking the write
    # lock unseen and being rolled back at the end of the read.
    read_only = bool(connection.get_execution_options().get(READ_ONLY))
    if connection.info.get(READ_ONLY) != read_only:
        connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
        connection.info[READ_ONLY] = read_only
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


READ_ONLY = "vault03_read_only"


@contextmanager
def read_only_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only: its transactions do not wait for (or hold) the write lock."""
    with engine.connect() as connection:
        connection.execution_options(**{READ_ONLY: True})
        yield connection


@contextmanager
def read_only_cursor(engine: Engine) -> Iterator[DBAPICursor]:
    """A DB-API cursor in a read transaction on a pooled connection, for the hottest reads:
    raw statements cost far less CPU than SQLAlchemy's, all of it holding the GIL the event
    loop needs (see auth.service.begin_login; figures: bench/README.md, login.py)."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("BEGIN")
        try:
            yield cursor
        finally:
            cursor.execute("ROLLBACK")
            cursor.close()
    finally:
        connection.close()


@contextmanager
def read_only_session(engine: Engine) -> Iterator[Session]:
    """An ORM session on a read-only connection (its transaction ends when the block does)."""
    with read_only_connection(engine) as connection, Session(bind=connection) as session:
        yield session


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A write session, in its turn: commits when the block succeeds, rolls back if it raises."""
    queue = writers(engine)
    queue.admit()
    try:
        with queue.turn():
            yield from _committed(engine)
    finally:
        queue.leave()


@contextmanager
def admitted_session_scope(engine: Engine) -> Iterator[Session]:
    """`session_scope` for a writer that `writers(engine).admit()` already queued."""
    with writers(engine).turn():
        yield from _committed(engine)


def _committed(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
