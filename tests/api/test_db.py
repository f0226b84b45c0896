"""Read-only DB-API cursors: a snapshot that neither waits for nor keeps the write lock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from vault03_api.db import create_db_engine, read_only_cursor, session_scope


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_db_engine(tmp_path / "data.db")
    with session_scope(engine) as session:
        session.execute(text("CREATE TABLE notes (body TEXT)"))
        session.execute(text("INSERT INTO notes VALUES ('committed')"))
    yield engine
    engine.dispose()


def test_a_read_sees_committed_rows_while_a_writer_holds_the_lock(engine: Engine) -> None:
    with session_scope(engine) as writer:
        writer.execute(text("INSERT INTO notes VALUES ('not yet committed')"))
        with read_only_cursor(engine) as cursor:
            cursor.execute("SELECT body FROM notes")
            assert cursor.fetchall() == [("committed",)]


def test_the_connection_goes_back_without_a_transaction_even_when_the_read_fails(
    engine: Engine,
) -> None:
    with pytest.raises(RuntimeError), read_only_cursor(engine) as cursor:
        cursor.execute("SELECT body FROM notes")
        raise RuntimeError("the caller failed")
    # The pool hands out the same connection: it must not still be inside the read.
    with read_only_cursor(engine) as cursor:
        cursor.execute("SELECT body FROM notes")
        assert cursor.fetchall() == [("committed",)]
    with session_scope(engine) as writer:
        writer.execute(text("INSERT INTO notes VALUES ('later')"))
    with read_only_cursor(engine) as cursor:
        cursor.execute("SELECT count(*) FROM notes")
        assert cursor.fetchone() == (2,)
