"""Writes many requests need at once are made together (transactions.WriteBatch)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from vault03_api.db import create_db_engine
from vault03_api.transactions import WriteBatch


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_db_engine(tmp_path / "batch.sqlite")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE items (name TEXT)"))
    yield engine
    engine.dispose()


def stored(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT name FROM items"))]


class Recorder:
    """The batches written; the first write waits until `release` is set."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.writing = threading.Event()
        self.release = threading.Event()

    def write(self, session: Session, items: list[str]) -> list[Exception | None]:
        self.batches.append(items)
        self.writing.set()
        assert self.release.wait(30)
        outcomes: list[Exception | None] = []
        for item in items:
            if item.startswith("gone"):
                outcomes.append(LookupError(item))
                continue
            session.execute(text("INSERT INTO items VALUES (:name)"), {"name": item})
            outcomes.append(None)
        return outcomes


async def test_items_arriving_during_a_write_go_together_in_the_next(engine: Engine) -> None:
    recorder = Recorder()
    batch = WriteBatch(engine, recorder.write)
    first = asyncio.create_task(batch.add("a"))
    assert await asyncio.to_thread(recorder.writing.wait, 30)
    rest = [asyncio.create_task(batch.add(name)) for name in ("b", "c", "d")]
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in (first, *rest))  # nothing is answered before its commit
    recorder.release.set()
    await asyncio.wait_for(asyncio.gather(first, *rest), 30)
    assert recorder.batches == [["a"], ["b", "c", "d"]]
    assert sorted(stored(engine)) == ["a", "b", "c", "d"]


async def test_each_item_gets_its_own_outcome(engine: Engine) -> None:
    recorder = Recorder()
    recorder.release.set()
    batch = WriteBatch(engine, recorder.write)
    results = await asyncio.wait_for(
        asyncio.gather(batch.add("kept"), batch.add("gone-1"), return_exceptions=True), 30
    )
    assert results[0] is None
    assert isinstance(results[1], LookupError)
    assert stored(engine) == ["kept"]


async def test_a_failed_write_fails_every_item_and_stores_none(engine: Engine) -> None:
    def failing(session: Session, items: list[str]) -> list[Exception | None]:
        for item in items:
            session.execute(text("INSERT INTO items VALUES (:name)"), {"name": item})
        raise OSError("disk I/O error")

    batch = WriteBatch(engine, failing)
    results = await asyncio.wait_for(
        asyncio.gather(batch.add("x"), batch.add("y"), return_exceptions=True), 30
    )
    assert all(isinstance(result, OSError) for result in results)
    assert stored(engine) == []  # rolled back: no item was answered as written


async def test_an_item_whose_request_went_away_before_its_write_is_not_written(
    engine: Engine,
) -> None:
    recorder = Recorder()
    batch = WriteBatch(engine, recorder.write)
    first = asyncio.create_task(batch.add("a"))
    assert await asyncio.to_thread(recorder.writing.wait, 30)
    gone = asyncio.create_task(batch.add("left"))
    kept = asyncio.create_task(batch.add("b"))
    await asyncio.sleep(0)
    gone.cancel()
    recorder.release.set()
    await asyncio.wait_for(asyncio.gather(first, kept), 30)
    assert recorder.batches == [["a"], ["b"]]
    assert sorted(stored(engine)) == ["a", "b"]


def test_items_from_several_event_loops_are_each_answered_on_their_own(engine: Engine) -> None:
    # A test client runs a loop per calling thread; each loop's items are its own batches.
    recorder = Recorder()
    recorder.release.set()
    batch = WriteBatch(engine, recorder.write)

    answered: list[str] = []

    def on_own_loop(name: str) -> None:
        asyncio.run(asyncio.wait_for(batch.add(name), 10))
        answered.append(name)

    names = [f"loop-{i}" for i in range(4)]
    threads = [threading.Thread(target=on_own_loop, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(answered) == names
    assert sorted(stored(engine)) == names
