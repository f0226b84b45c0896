"""`vault03 files verify`: every chunk authenticated, SHA-256 compared, bad blobs reported."""

from __future__ import annotations

import os

from click.testing import CliRunner

from tests.support.identity import Harness
from tests.support.vaults import new_vault, token_headers
from vault03_api.blobs.crypto import HEADER_SIZE
from vault03_api.cli import main as vault03


def test_verify_reports_corrupt_and_missing(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    ids = []
    for n in range(4):
        response = harness.client.put(
            f"/api/vaults/{vault_id}/files/f{n}", content=os.urandom(5000), headers=staff
        )
        ids.append(response.json()["id"])
    settings = harness.state.settings
    env = {
        "VAULT03_API_DATA_DIR": str(settings.data_dir),
        "VAULT03_API_KEYS_DIR": str(settings.keys_dir),
        "VAULT03_API_BACKUP_DIR": str(settings.backup_dir),
    }
    result = CliRunner().invoke(vault03, ["files", "verify"], env=env)
    assert result.exit_code == 0, result.output
    assert "4 files: 4 ok, 0 corrupt, 0 missing" in result.output

    blobs = harness.state.blobs
    damaged = bytearray(blobs.path(ids[0]).read_bytes())
    damaged[HEADER_SIZE + 100] ^= 0x80
    blobs.path(ids[0]).write_bytes(bytes(damaged))
    blobs.path(ids[1]).unlink()
    result = CliRunner().invoke(vault03, ["files", "verify", "--quiet"], env=env)
    assert result.exit_code == 1
    assert f"CORRUPT {ids[0]}" in result.output
    assert f"MISSING {ids[1]}" in result.output
    assert ids[2] not in result.output and ids[3] not in result.output
    assert "4 files: 2 ok, 1 corrupt, 1 missing" in result.output
