"""A VAULT03 installation in a temp dir: migrated database with rows, files, config, key."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from vault03_api.db import create_db_engine, session_scope
from vault03_api.deliveries.service import enqueue_delivery
from vault03_api.keyring import ensure_master_key, key_path
from vault03_api.migrations import upgrade_database
from vault03_api.settings import DEVELOPMENT_OFFICE
from vault03_common.messages import SendTestMessage


@dataclass
class Installation:
    """An installation's paths as the `vault03` command sees them through its environment."""

    root: Path
    data_dir: Path
    keys_dir: Path
    backup_dir: Path
    config: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "data.db"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    def key_bytes(self) -> bytes:
        return key_path(self.keys_dir, 1).read_bytes()


def add_deliveries(database: Path, count: int, *, text: str = "hello") -> None:
    engine = create_db_engine(database)
    try:
        with session_scope(engine) as session:
            for number in range(count):
                message = SendTestMessage(
                    office=DEVELOPMENT_OFFICE, subject="test", body=f"{text} {number}"
                )
                enqueue_delivery(session, outgoing=message.sms(to=f"+3361234{number:04d}"))
    finally:
        engine.dispose()


def count_rows(database: Path) -> int:
    """Rows in the deliveries table, read with the system's sqlite3 module."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return int(connection.execute("SELECT count(*) FROM deliveries").fetchone()[0])


def file_hashes(directory: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `directory`."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def write_files(files_dir: Path) -> None:
    """Vault-like content: nested directories, a binary blob and an empty file."""
    (files_dir / "vault-a").mkdir(parents=True, exist_ok=True)
    (files_dir / "vault-b" / "sub").mkdir(parents=True, exist_ok=True)
    (files_dir / "vault-a" / "report.bin").write_bytes(os.urandom(300_000))
    (files_dir / "vault-b" / "sub" / "note.txt").write_text("a note\n")
    (files_dir / "vault-b" / "empty").write_bytes(b"")


def make_installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Installation:
    """A migrated database with rows, files, a config.yaml and a master key, env pointed at it."""
    # Named as in the deployment, so `tar -xzf <archive> -C <parent>` lands in it.
    root = tmp_path / "vault03"
    inst = Installation(
        root=root,
        data_dir=root / "data",
        keys_dir=root / "keys",
        backup_dir=root / "backup",
        config=root / "config.yaml",
    )
    for name in list(os.environ):
        if name.startswith("VAULT03_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("VAULT03_API_DATA_DIR", str(inst.data_dir))
    monkeypatch.setenv("VAULT03_API_KEYS_DIR", str(inst.keys_dir))
    monkeypatch.setenv("VAULT03_API_BACKUP_DIR", str(inst.backup_dir))
    monkeypatch.setenv("VAULT03_CONFIG", str(inst.config))
    inst.data_dir.mkdir(parents=True)
    inst.config.write_text("public_url: https://vault.example.org\n")
    ensure_master_key(inst.keys_dir)
    engine = create_db_engine(inst.database)
    upgrade_database(engine, database=inst.database, backup_dir=inst.backup_dir)
    engine.dispose()
    add_deliveries(inst.database, 25)
    write_files(inst.files_dir)
    return inst
