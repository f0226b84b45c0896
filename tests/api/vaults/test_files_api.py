"""Vaults and files through the API: uploads (raw and form), downloads with Range, limits,
roles, auditing, soft delete and purge, and damaged blobs."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from tests.support.identity import FakeClock, Harness, harness_for, make_settings
from tests.support.vaults import new_customer, new_vault, token_headers
from vault03_api.blobs.crypto import CHUNK_SIZE, HEADER_SIZE, IntegrityError, chunk_offset
from vault03_api.vaults.maintenance import purge_once

CS = CHUNK_SIZE


def upload(
    harness: Harness, headers: dict[str, str], vault_id: int, name: str, data: bytes, **kw: str
) -> dict[str, object]:
    response = harness.client.put(
        f"/api/vaults/{vault_id}/files/{name}",
        content=data,
        headers={**headers, "Content-Type": kw.get("content_type", "application/pdf")},
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_round_trip_and_listing(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    data = os.urandom(2 * CS + 123)
    stored = upload(harness, staff, vault_id, "report.pdf", data)
    assert stored["size"] == len(data)
    assert "sha256" not in stored
    assert stored["content_type"] == "application/pdf"
    blob = harness.state.blobs.path(str(stored["id"]))
    assert data[:1000] not in blob.read_bytes()

    response = harness.client.get(f"/api/files/{stored['id']}/content", headers=staff)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["accept-ranges"] == "bytes"
    assert "report.pdf" in response.headers["content-disposition"]

    files = harness.client.get(f"/api/vaults/{vault_id}/files", headers=staff).json()
    assert [f["name"] for f in files] == ["report.pdf"]
    vault = harness.client.get(f"/api/vaults/{vault_id}", headers=staff).json()
    assert (vault["file_count"], vault["used_bytes"]) == (1, len(data))


def test_download_is_audited_as_a_read(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    stored = upload(harness, staff, vault_id, "a.txt", b"hello")
    created = harness.audit(entity_type="files", entity_id=stored["id"])
    assert [e["action"] for e in created] == ["c"]
    assert created[0]["new_values"]["wrapped_key"] == "[redacted]"
    harness.client.get(f"/api/files/{stored['id']}/content", headers=staff)
    harness.client.get(
        f"/api/files/{stored['id']}/content", headers={**staff, "Range": "bytes=1-2"}
    )
    reads = harness.audit(entity_type="files", entity_id=stored["id"], action="r")
    assert len(reads) == 2
    assert all(r["changed_by"] is not None for r in reads)


RANGE_SIZE = 3 * CS + 100


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        (f"bytes=0-{CS - 1}", 0, CS),
        (f"bytes={CS - 1}-{CS}", CS - 1, CS + 1),
        (f"bytes={CS}-{2 * CS - 1}", CS, 2 * CS),
        (f"bytes={3 * CS}-", 3 * CS, RANGE_SIZE),
        ("bytes=-1", RANGE_SIZE - 1, RANGE_SIZE),
        (f"bytes=-{CS + 1}", RANGE_SIZE - CS - 1, RANGE_SIZE),
        (f"bytes=10-{10 * CS}", 10, RANGE_SIZE),
    ],
)
def test_range_requests(harness: Harness, header: str, start: int, stop: int) -> None:
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    data = os.urandom(RANGE_SIZE)
    stored = upload(harness, staff, vault_id, "big.bin", data)
    response = harness.client.get(
        f"/api/files/{stored['id']}/content", headers={**staff, "Range": header}
    )
    assert response.status_code == 206
    assert response.content == data[start:stop]
    assert response.headers["content-range"] == f"bytes {start}-{stop - 1}/{RANGE_SIZE}"
    assert int(response.headers["content-length"]) == stop - start


def test_unsatisfiable_and_ignored_ranges(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    stored = upload(harness, staff, vault_id, "small.bin", b"0123456789")
    url = f"/api/files/{stored['id']}/content"
    response = harness.client.get(url, headers={**staff, "Range": "bytes=10-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */10"
    assert response.json()["error"]
    several = harness.client.get(url, headers={**staff, "Range": "bytes=0-1,4-5"})
    assert (several.status_code, several.content) == (200, b"0123456789")
    empty = upload(harness, staff, vault_id, "empty.bin", b"")
    response = harness.client.get(f"/api/files/{empty['id']}/content", headers=staff)
    assert (response.status_code, response.content) == (200, b"")


def test_form_upload_streams_and_sanitises(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    data = os.urandom(CS + 7)
    response = harness.client.post(
        f"/api/vaults/{vault_id}/files",
        files={"file": ("..\\..\\etc\\ .pass  wd?.txt", data, "text/plain")},
        data={"note": "ignored"},
        headers=staff,
    )
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["name"] == "pass wd_.txt"
    assert stored["content_type"] == "text/plain"
    content = harness.client.get(f"/api/files/{stored['id']}/content", headers=staff).content
    assert content == data
    bad = harness.client.post(f"/api/vaults/{vault_id}/files", data={"other": "x"}, headers=staff)
    assert bad.status_code == 400
    assert bad.json()["error"]
    nameless = harness.client.post(
        f"/api/vaults/{vault_id}/files", files={"file": ("...", b"x")}, headers=staff
    )
    assert nameless.status_code == 400


def test_same_name_replaces(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    first = upload(harness, staff, vault_id, "a.txt", b"one")
    second = upload(harness, staff, vault_id, "a.txt", b"two")
    files = harness.client.get(f"/api/vaults/{vault_id}/files", headers=staff).json()
    assert [f["id"] for f in files] == [second["id"]]
    assert harness.client.get(f"/api/files/{first['id']}", headers=staff).status_code == 404


@pytest.fixture
def small_limits(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Harness]:
    yield from harness_for(make_settings(tmp_path, max_file_bytes=3 * CS), fake_clock)


def test_limits_give_413_and_leave_nothing(small_limits: Harness) -> None:
    harness = small_limits
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff, quota_bytes=2 * CS)
    other_vault = new_vault(harness, staff)
    client = harness.client
    # Declared too large: refused before the body is read.
    response = client.put(
        f"/api/vaults/{other_vault}/files/big", content=os.urandom(3 * CS + 1), headers=staff
    )
    assert response.status_code == 413
    assert "maximum file size" in response.json()["detail"]["reason"]

    # Chunked, no Content-Length: refused once the limit is passed.
    def body() -> Iterator[bytes]:
        for _ in range(8):
            yield os.urandom(CS // 2)

    response = client.put(f"/api/vaults/{other_vault}/files/big", content=body(), headers=staff)
    assert response.status_code == 413
    upload(harness, staff, vault_id, "one", os.urandom(CS))
    response = client.put(
        f"/api/vaults/{vault_id}/files/two", content=os.urandom(CS + 1), headers=staff
    )
    assert response.status_code == 413
    assert "quota" in response.json()["detail"]["reason"]
    upload(harness, staff, vault_id, "two", os.urandom(CS))  # exactly fills the quota
    blobs = harness.state.blobs
    assert len(list(blobs.blob_ids())) == 2
    assert list(blobs.partial_dir.iterdir()) == []


def test_auditor_sees_metadata_never_contents(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    auditor = token_headers(harness, "auditor")
    vault_id = new_vault(harness, staff)
    stored = upload(harness, staff, vault_id, "a.txt", b"secret")
    client = harness.client
    assert client.get(f"/api/vaults/{vault_id}/files", headers=auditor).status_code == 200
    assert client.get(f"/api/files/{stored['id']}", headers=auditor).status_code == 200
    assert client.get(f"/api/files/{stored['id']}/content", headers=auditor).status_code == 403
    response = client.put(f"/api/vaults/{vault_id}/files/b", content=b"x", headers=auditor)
    assert response.status_code == 403


def test_soft_delete_then_purge(harness: Harness, fake_clock: FakeClock) -> None:
    staff = token_headers(harness, "staff")
    customer = new_customer(harness, staff)
    client = harness.client
    vault = client.post(
        f"/api/customers/{customer['id']}/vaults", json={"name": "v"}, headers=staff
    ).json()
    kept = new_vault(harness, staff)
    doomed = upload(harness, staff, vault["id"], "a.txt", b"a")
    alone = upload(harness, staff, kept, "b.txt", b"b")
    survivor = upload(harness, staff, kept, "c.txt", b"c")
    assert client.delete(f"/api/vaults/{vault['id']}", headers=staff).status_code == 204
    assert client.delete(f"/api/files/{alone['id']}", headers=staff).status_code == 204
    # Unreachable at once.
    assert client.get(f"/api/vaults/{vault['id']}", headers=staff).status_code == 404
    assert client.get(f"/api/files/{doomed['id']}/content", headers=staff).status_code == 404
    assert client.get(f"/api/files/{alone['id']}/content", headers=staff).status_code == 404
    listed = client.get(f"/api/customers/{customer['id']}/vaults", headers=staff).json()
    assert listed == []
    blobs = harness.state.blobs
    engine = harness.state.engine
    retention = harness.state.settings.vault_retention_days
    assert purge_once(engine, blobs, retention_days=retention) == 0
    assert blobs.exists(str(doomed["id"]))
    fake_clock.advance(days=retention + 1)
    assert purge_once(engine, blobs, retention_days=retention) == 2
    assert set(blobs.blob_ids()) == {survivor["id"]}
    assert harness.sql("SELECT purged_at IS NOT NULL FROM vaults WHERE id = :id", id=vault["id"])
    assert harness.audit(entity_type="files", entity_id=doomed["id"], action="d")


def failures() -> float:
    return REGISTRY.get_sample_value("vault03_file_integrity_failures_total") or 0.0


def test_damaged_first_chunk_gives_500_and_alerts(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    stored = upload(harness, staff, vault_id, "a.bin", os.urandom(CS + 10))
    path = harness.state.blobs.path(str(stored["id"]))
    blob = bytearray(path.read_bytes())
    blob[HEADER_SIZE + 5] ^= 1
    path.write_bytes(bytes(blob))
    before = failures()
    response = harness.client.get(f"/api/files/{stored['id']}/content", headers=staff)
    assert response.status_code == 500
    assert response.json()["detail"] == {"file_id": stored["id"]}
    assert failures() == before + 1
    alerts = harness.deliveries("security_alert")
    assert any(stored["id"] in a.payload["text"] for a in alerts)


def test_damaged_later_chunk_ends_the_response_short(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    data = os.urandom(3 * CS)
    stored = upload(harness, staff, vault_id, "a.bin", data)
    path = harness.state.blobs.path(str(stored["id"]))
    blob = bytearray(path.read_bytes())
    blob[chunk_offset(2, CS) + 9] ^= 1
    path.write_bytes(bytes(blob))
    before = failures()
    received = bytearray()
    url = f"/api/files/{stored['id']}/content"
    # The test client re-raises what ended the response; a real client sees a short body.
    with pytest.raises(IntegrityError), harness.client.stream("GET", url, headers=staff) as sent:
        assert sent.status_code == 200
        for part in sent.iter_bytes():
            received += part
    # Only the authenticated chunks before the damaged one were sent.
    assert bytes(received) == data[: len(received)]
    assert len(received) <= 2 * CS
    assert failures() == before + 1


def test_no_plaintext_digest_is_kept_or_sent(harness: Harness) -> None:
    """A SHA-256 of the contents, stored or sent as the ETag, would confirm a guessed
    document to whoever holds the database or sees the headers."""
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    data = b"the will of Ada Lovelace, page 1 of 1"
    digest = hashlib.sha256(data).hexdigest()
    stored = upload(harness, staff, vault_id, "will.pdf", data)
    assert digest not in str(stored)
    response = harness.client.get(f"/api/files/{stored['id']}/content", headers=staff)
    assert response.content == data
    assert response.headers["etag"] == f'"{stored["id"]}"'
    assert digest not in str(response.headers)
    columns = [row[1] for row in harness.sql("PRAGMA table_info(files)")]
    assert "sha256" not in columns
    for path in harness.state.settings.data_dir.rglob("*"):  # the database, its WAL, blobs
        if path.is_file():
            content = path.read_bytes()
            assert digest.encode() not in content, path
            assert bytes.fromhex(digest) not in content, path
