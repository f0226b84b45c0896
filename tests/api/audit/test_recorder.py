"""The audit mechanism: generic over any mapped class, same transaction, redaction, chain."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlmodel import Session

from vault03_api.audit.chain import verify_chain
from vault03_api.audit.context import AuditContext, acting
from vault03_api.audit.models import Audited
from vault03_api.audit.recorder import install_audit_hooks, note, record_read
from vault03_api.db import create_db_engine, session_scope
from vault03_api.migrations import upgrade_database


class Base(DeclarativeBase):
    pass


class Widget(Audited, Base):
    """A stand-in for a future domain table (customers, vaults, ...)."""

    __tablename__ = "widgets"
    __audit_exclude__ = frozenset({"seen"})
    __audit_redact__ = frozenset({"pin"})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String)
    pin: Mapped[str | None] = mapped_column(String, nullable=True)
    seen: Mapped[int] = mapped_column(default=0)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    install_audit_hooks()
    engine = create_db_engine(tmp_path / "data.db")
    upgrade_database(engine, database=tmp_path / "data.db", backup_dir=tmp_path / "backup")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def entries(engine: Engine) -> list[dict]:  # type: ignore[type-arg]
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM audit_logs ORDER BY id")).mappings().all()
    return [
        {**row, **{k: json.loads(row[k]) if row[k] else None for k in ("old_values", "new_values")}}
        for row in rows
    ]


def test_create_update_delete_are_logged_with_context(engine: Engine) -> None:
    context = AuditContext(user_id=7, ip="203.0.113.9", user_agent="pytest")
    with acting(context):
        with session_scope(engine) as session:
            session.add(Widget(id=1, name="first", pin="1234"))
        with session_scope(engine) as session:
            widget = session.get(Widget, 1)
            assert widget is not None
            widget.name, widget.pin = "renamed", "9999"
            note(session, widget, "renamed_by_test")
        with session_scope(engine) as session:
            widget = session.get(Widget, 1)
            widget.seen = 5  # type: ignore[union-attr]  # excluded: no entry
        with session_scope(engine) as session:
            session.delete(session.get(Widget, 1))
    logged = entries(engine)
    assert [(e["entity_type"], e["entity_id"], e["action"]) for e in logged] == [
        ("widgets", "1", "c"),
        ("widgets", "1", "u"),
        ("widgets", "1", "d"),
    ]
    created, updated, deleted = logged
    assert created["new_values"] == {"id": 1, "name": "first", "pin": "[redacted]", "seen": 0}
    assert updated["old_values"] == {"name": "first", "pin": "[redacted]"}
    assert updated["new_values"] == {"name": "renamed", "pin": "[redacted]"}
    assert updated["event"] == "renamed_by_test"
    assert deleted["old_values"]["name"] == "renamed" and deleted["new_values"] is None
    for entry in logged:
        assert (entry["changed_by"], entry["ip"], entry["user_agent"]) == (
            7,
            "203.0.113.9",
            "pytest",
        )
    # changed_at is UTC text that sorts and reads like SQLite's own datetime('now').
    assert len(created["changed_at"]) == 26 and created["changed_at"][10] == " "


def test_a_rolled_back_change_leaves_no_entry(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(Widget(id=2, name="ghost"))
        session.flush()
        raise RuntimeError("abort")
    assert entries(engine) == []
    assert verify_chain(engine.connect()).ok


def test_record_read(engine: Engine) -> None:
    with acting(AuditContext(user_id=3)), session_scope(engine) as session:
        record_read(session, entity_type="files", entity_id="f-1")
    (entry,) = entries(engine)
    assert (entry["entity_type"], entry["entity_id"], entry["action"]) == ("files", "f-1", "r")
    assert entry["changed_by"] == 3


def _fill(engine: Engine, count: int) -> None:
    for i in range(count):
        with session_scope(engine) as session:
            session.add(Widget(id=100 + i, name=f"w{i}"))


def test_chain_detects_altered_and_removed_entries(engine: Engine) -> None:
    _fill(engine, 5)
    with engine.connect() as connection:
        report = verify_chain(connection)
    assert report.ok and report.checked == 5
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_logs SET new_values = replace(new_values, 'w2', 'w9') WHERE id = 3")
        )
    with engine.connect() as connection:
        report = verify_chain(connection)
    assert (report.ok, report.broken_id, report.checked) == (False, 3, 2)
    assert "hash" in (report.reason or "")


def test_chain_detects_a_removed_entry(engine: Engine) -> None:
    _fill(engine, 4)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_logs WHERE id = 2"))
    with engine.connect() as connection:
        report = verify_chain(connection)
    assert report.broken_id == 3


def test_chain_detects_a_rehashed_entry(engine: Engine) -> None:
    # Re-computing the altered entry's own hash does not help: the next link breaks.
    from vault03_api.audit.recorder import entry_hash

    _fill(engine, 3)
    with engine.begin() as connection:
        row = dict(
            connection.execute(text("SELECT * FROM audit_logs WHERE id = 2")).mappings().one()
        )
        row["ip"] = "198.51.100.1"
        connection.execute(
            text("UPDATE audit_logs SET ip = :ip, hash = :hash WHERE id = 2"),
            {"ip": row["ip"], "hash": entry_hash(row)},
        )
    with engine.connect() as connection:
        report = verify_chain(connection)
    assert report.broken_id == 3 and "prev_hash" in (report.reason or "")


def test_concurrent_writers_keep_the_chain_linear(engine: Engine) -> None:
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for i in range(10):
                with Session(engine) as session:
                    session.add(Widget(id=1000 + offset * 100 + i, name="x"))
                    session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with engine.connect() as connection:
        report = verify_chain(connection)
    assert report.ok and report.checked == 80
