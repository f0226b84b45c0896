"""Master key rotation: everything rewrapped (file data keys and TOTP secrets) without touching
file bodies, resumable after a crash, retirement refused while a version is in use."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from tests.support.identity import Harness
from tests.support.shares import create_share, latest_token, vault_with_files
from tests.support.vaults import new_vault, token_headers
from vault03_api.cli import main as vault03
from vault03_api.keyring import key_versions
from vault03_api.keys.models import KeyRotation
from vault03_api.keys.registry import usage_by_version
from vault03_api.keys.service import KeyRefused, retire, rotate, running_rotation, status


class Crash(Exception):
    """Stands for the process dying between two batches."""


def fill(harness: Harness, count: int) -> tuple[dict[str, str], dict[str, bytes]]:
    staff = token_headers(harness, "staff", email="staff@example.org")
    vault_id = new_vault(harness, staff)
    contents = {}
    for n in range(count):
        data = os.urandom(1000 + n)
        response = harness.client.put(
            f"/api/vaults/{vault_id}/files/f{n}", content=data, headers=staff
        )
        assert response.status_code == 201
        contents[response.json()["id"]] = data
    return staff, contents


def downloads_match(harness: Harness, staff: dict[str, str], contents: dict[str, bytes]) -> bool:
    for file_id, data in contents.items():
        response = harness.client.get(f"/api/files/{file_id}/content", headers=staff)
        if response.status_code != 200 or response.content != data:
            return False
    return True


def usage(harness: Harness) -> dict[int, dict[str, int]]:
    with harness.db() as session:
        return usage_by_version(session)


def test_rotate_then_retire(harness: Harness) -> None:
    staff, contents = fill(harness, 5)
    shared = create_share(harness, staff, vault_with_files(harness, staff, {})[0])
    engine, keys_dir = harness.state.engine, harness.state.settings.keys_dir
    blobs = {f: harness.state.blobs.path(f).read_bytes() for f in contents}
    in_flight = {"delivery payloads": 2}  # the link and the code, sealed until sent
    assert usage(harness) == {1: {"file data keys": 5, "totp secrets": 1, **in_flight}}

    rotation = rotate(engine, keys_dir=keys_dir, batch_size=2)
    assert (rotation.target_version, rotation.status, rotation.rewrapped) == (2, "done", 8)
    assert usage(harness) == {2: {"file data keys": 5, "totp secrets": 1, **in_flight}}
    # Bodies untouched; the running API picked up version 2 without a restart.
    assert {f: harness.state.blobs.path(f).read_bytes() for f in contents} == blobs
    assert downloads_match(harness, staff, contents)
    harness.login("staff@example.org")  # the resealed TOTP secret still opens

    with harness.db() as session:
        with pytest.raises(KeyRefused, match="current master key"):
            retire(session, keys_dir=keys_dir, version=2)
        retire(session, keys_dir=keys_dir, version=1)
    result = CliRunner().invoke(
        vault03, ["keys", "retire", "1"], env=harness.cli_env(), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert key_versions(keys_dir) == [2]
    assert downloads_match(harness, staff, contents)
    with harness.db() as session:
        lines = {line.version: line for line in status(session, keys_dir=keys_dir)}
    assert lines[1].state == "retired"
    assert lines[2].state == "current"
    assert lines[2].usage == {
        "file data keys": 5,
        "pending totp secrets": 0,
        "totp secrets": 1,
        **in_flight,
    }
    assert latest_token(harness, shared.id) == shared.token  # the resealed link still opens
    rotations = harness.audit(entity_type="key_rotations")
    assert [e["action"] for e in rotations] == ["c", "u"]
    assert rotations[1]["new_values"]["status"] == "done"
    assert harness.audit(entity_type="master_keys", action="u")


def test_retire_refused_while_in_use(harness: Harness) -> None:
    fill(harness, 2)
    keys_dir = harness.state.settings.keys_dir
    (keys_dir / "kek-0002.key").write_bytes(os.urandom(32))  # a newer version nobody uses yet
    with harness.db() as session, pytest.raises(KeyRefused, match="2 file data keys"):
        retire(session, keys_dir=keys_dir, version=1)
    result = CliRunner().invoke(vault03, ["keys", "retire", "1"], env=harness.cli_env())
    assert result.exit_code != 0
    assert "still protects" in result.output
    assert key_versions(keys_dir) == [1, 2]


def test_interrupted_rotation_resumes(harness: Harness) -> None:
    staff, contents = fill(harness, 6)
    engine, keys_dir = harness.state.engine, harness.state.settings.keys_dir

    def crash_after_first_batch(rotation: KeyRotation, moved: int) -> None:
        raise Crash

    with pytest.raises(Crash):
        rotate(engine, keys_dir=keys_dir, batch_size=2, progress=crash_after_first_batch)
    halfway = usage(harness)
    assert set(halfway) == {1, 2}  # some keys moved, some not
    assert downloads_match(harness, staff, contents)  # both versions serve meanwhile
    with harness.db() as session:
        interrupted = running_rotation(session)
        assert interrupted is not None and interrupted.target_version == 2
        with pytest.raises(KeyRefused, match="in progress"):
            retire(session, keys_dir=keys_dir, version=1)

    resumed = rotate(engine, keys_dir=keys_dir, batch_size=2)
    assert (resumed.id, resumed.target_version, resumed.status) == (interrupted.id, 2, "done")
    assert key_versions(keys_dir) == [1, 2]  # no third version
    assert set(usage(harness)) == {2}
    assert downloads_match(harness, staff, contents)


def test_rotation_killed_mid_way_resumes(harness: Harness) -> None:
    staff, contents = fill(harness, 8)
    env = {**os.environ, **harness.cli_env()}
    command = [str(Path(sys.executable).parent / "vault03"), "keys", "rotate", "--batch-size", "1"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    first = process.stdout.readline()  # the first batch is committed
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert "rewrapped" in first
    with harness.db() as session:
        rotation = session.exec(select(KeyRotation)).one()
        assert rotation.status == "running"
    status_out = CliRunner().invoke(vault03, ["keys", "status"], env=harness.cli_env())
    assert "interrupted" in status_out.output
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "everything is under master key version 2" in done.stdout
    assert set(usage(harness)) == {2}
    assert downloads_match(harness, staff, contents)
