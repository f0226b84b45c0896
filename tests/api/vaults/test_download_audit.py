"""Every read of a file's contents is in the audit log, a refused one too: a damaged blob
leaves an audit entry, and a download whose read cannot be audited is refused."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.identity import Harness
from tests.support.vaults import new_vault, token_headers
from vault03_api.blobs.crypto import CHUNK_SIZE, HEADER_SIZE, IntegrityError, chunk_offset


def stored_file(harness: Harness, headers: dict[str, str], data: bytes) -> str:
    vault_id = new_vault(harness, headers)
    put = harness.client.put(f"/api/vaults/{vault_id}/files/a.bin", content=data, headers=headers)
    assert put.status_code == 201, put.text
    return str(put.json()["id"])


def damage(harness: Harness, file_id: str, offset: int) -> None:
    path = harness.state.blobs.path(file_id)
    blob = bytearray(path.read_bytes())
    blob[offset] ^= 1
    path.write_bytes(bytes(blob))


def test_a_damaged_first_chunk_is_audited(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    file_id = stored_file(harness, staff, os.urandom(CHUNK_SIZE + 10))
    damage(harness, file_id, HEADER_SIZE + 5)
    response = harness.client.get(f"/api/files/{file_id}/content", headers=staff)
    assert response.status_code == 500
    (entry,) = harness.audit(entity_type="files", entity_id=file_id, event="integrity_failure")
    assert entry["action"] == "r" and entry["changed_by"] is not None
    assert "chunk" in entry["new_values"]["reason"] or "authent" in entry["new_values"]["reason"]


def test_a_damaged_later_chunk_is_audited(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    file_id = stored_file(harness, staff, os.urandom(3 * CHUNK_SIZE))
    damage(harness, file_id, chunk_offset(2, CHUNK_SIZE) + 9)
    url = f"/api/files/{file_id}/content"
    with pytest.raises(IntegrityError), harness.client.stream("GET", url, headers=staff) as sent:
        for _ in sent.iter_bytes():
            pass
    assert harness.audit(entity_type="files", entity_id=file_id, event="integrity_failure")


def test_a_download_that_cannot_be_audited_is_refused(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    file_id = stored_file(harness, staff, b"secret contents")
    # The audit log refuses reads of file contents (a real failure of the audit INSERT).
    harness.sql(
        "CREATE TRIGGER refuse_reads BEFORE INSERT ON audit_logs "
        "WHEN NEW.action = 'r' BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
    )
    response = harness.client.get(f"/api/files/{file_id}/content", headers=staff)
    assert response.status_code == 503
    assert response.json()["error"] == (
        "the download could not be recorded in the audit log, so it is refused"
    )
    assert b"secret contents" not in response.content


def test_downloads_at_once_are_each_audited_as_their_reader(harness: Harness) -> None:
    # Reads arriving together are written in one transaction (transactions.WriteBatch); each
    # entry still names its own reader and address.
    readers = [token_headers(harness, "staff") for _ in range(4)]
    file_id = stored_file(harness, readers[0], b"shared contents")

    def download(index: int) -> int:
        headers = {**readers[index], "User-Agent": f"reader-{index}"}
        return harness.client.get(f"/api/files/{file_id}/content", headers=headers).status_code

    with ThreadPoolExecutor(max_workers=len(readers) * 2) as pool:
        statuses = list(pool.map(download, [i % len(readers) for i in range(len(readers) * 4)]))
    assert statuses == [200] * len(statuses)
    reads = harness.audit(entity_type="files", entity_id=file_id, action="r")
    assert len(reads) == len(statuses)
    by_agent = {(entry["user_agent"], entry["changed_by"]) for entry in reads}
    assert len(by_agent) == len(readers)  # one reader per user agent, as sent
    assert len({user for _, user in by_agent}) == len(readers)
