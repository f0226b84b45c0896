"""The API killed with SIGKILL during concurrent uploads: after a restart, every upload that got
a 2xx reads back identical, nothing partial is listed, and no stray blob is left."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlmodel import select

from tests.support import free_port, port_open, wait_for
from vault03_api import clock
from vault03_api.auth.service import create_api_token
from vault03_api.blobs.crypto import CHUNK_SIZE, HEADER_SIZE, TAG_SIZE
from vault03_api.db import create_db_engine, session_scope
from vault03_api.migrations import upgrade_database
from vault03_api.settings import ApiSettings
from vault03_api.users.service import create_admin
from vault03_api.vaults.models import StoredFile

PIECE = 64 * 1024


class ApiProcess:
    """`python -m vault03_api` on a data directory of its own."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "VAULT03_API_DATA_DIR": str(tmp_path / "data"),
            "VAULT03_API_KEYS_DIR": str(tmp_path / "keys"),
            "VAULT03_API_BACKUP_DIR": str(tmp_path / "backup"),
            "VAULT03_API_PORT": str(self.port),
            "VAULT03_NATS_URL": f"nats://127.0.0.1:{free_port()}",
            "VAULT03_API_LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> ApiSettings:
        return ApiSettings(
            data_dir=Path(self.env["VAULT03_API_DATA_DIR"]),
            keys_dir=Path(self.env["VAULT03_API_KEYS_DIR"]),
            backup_dir=Path(self.env["VAULT03_API_BACKUP_DIR"]),
        )

    def admin_token(self) -> str:
        settings = self.settings()
        engine = create_db_engine(settings.database_path)
        upgrade_database(engine, database=settings.database_path, backup_dir=settings.backup_dir)
        with session_scope(engine) as session:
            user = create_admin(
                session, email="admin@example.org", name="A", password_hash="-", now=clock.utcnow()
            )
            session.flush()
            assert user.id is not None
            _, secret = create_api_token(
                session, user_id=user.id, name="t", days=1, now=clock.utcnow()
            )
        engine.dispose()
        return secret

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "vault03_api"], env=self.env)
        wait_for(lambda: port_open(self.port), timeout=60, what="the API to listen")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def test_sigkill_during_concurrent_uploads(tmp_path: Path) -> None:
    api = ApiProcess(tmp_path)
    token = api.admin_token()
    headers = {"Authorization": f"Bearer {token}"}
    api.start()
    try:
        with httpx.Client(base_url=api.url, headers=headers, timeout=60) as client:
            customer = client.post(
                "/api/customers",
                json={"name": "C", "email": "c@example.org", "preferred_channel": "email"},
            ).json()
            vault = client.post(f"/api/customers/{customer['id']}/vaults", json={"name": "v"})
            vault_id = vault.json()["id"]

        acknowledged: dict[str, str] = {}  # file id -> sha256 of what was sent
        lock = threading.Lock()
        stop = threading.Event()

        def body(data: bytes) -> Iterator[bytes]:
            for offset in range(0, len(data), PIECE):
                yield data[offset : offset + PIECE]
                time.sleep(0.005)  # keep uploads overlapping, so the kill finds some mid-way

        def uploader(worker: int) -> None:
            rng = random.Random(worker)
            with httpx.Client(base_url=api.url, headers=headers, timeout=60) as client:
                n = 0
                while not stop.is_set():
                    data = os.urandom(rng.choice([0, 1, PIECE * 5, 3 << 20, (2 << 20) + 17]))
                    try:
                        response = client.put(
                            f"/api/vaults/{vault_id}/files/w{worker}-{n}.bin", content=body(data)
                        )
                    except httpx.TransportError:
                        return  # the server died under us
                    n += 1
                    if response.status_code == 201:
                        with lock:
                            acknowledged[response.json()["id"]] = hashlib.sha256(data).hexdigest()

        threads = [threading.Thread(target=uploader, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        wait_for(lambda: len(acknowledged) >= 6, timeout=120, what="some acknowledged uploads")
        partial_dir = api.settings().files_dir / ".partial"

        def early_partial() -> bool:
            # A blob with its first chunk only, of a file of 2 MiB or more: at least 1 MiB of
            # its body (16 pieces, 80 ms of pauses) is still to come when the kill lands.
            for partial in partial_dir.iterdir():
                try:
                    size = partial.stat().st_size
                except FileNotFoundError:  # renamed into place meanwhile
                    continue
                if HEADER_SIZE < size <= HEADER_SIZE + CHUNK_SIZE + TAG_SIZE:
                    return True
            return False

        wait_for(early_partial, timeout=60, interval=0.001, what="an upload mid-way")
        api.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        files_dir = api.settings().files_dir
        assert list(partial_dir.iterdir())  # the kill left a partial upload

        api.start()
        with httpx.Client(base_url=api.url, headers=headers, timeout=60) as client:
            listed = {f["id"]: f for f in client.get(f"/api/vaults/{vault_id}/files").json()}
            assert set(acknowledged) <= set(listed)
            for file_id, stored in listed.items():
                content = client.get(f"/api/files/{file_id}/content")
                assert content.status_code == 200
                digest = hashlib.sha256(content.content).hexdigest()
                assert len(content.content) == stored["size"]
                if file_id in acknowledged:
                    assert digest == acknowledged[file_id]
        assert list((files_dir / ".partial").iterdir()) == []  # swept at start-up
        blob_ids = {p.name.removesuffix(".blob") for p in files_dir.glob("??/*.blob")}
        with session_scope(create_db_engine(api.settings().database_path)) as session:
            rows = set(session.exec(select(StoredFile.id)).all())
        assert blob_ids == rows
        verify = subprocess.run(
            [str(Path(sys.executable).parent / "vault03"), "files", "verify", "--quiet"],
            env=api.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert " 0 corrupt, 0 missing" in verify.stdout
    finally:
        api.stop()
