"""Versions: an upload over a file of its name adds a version; older ones are listed,
downloaded and restored, and kept until the file itself is deleted and purged."""

from __future__ import annotations

from tests.api.vaults.test_files_api import upload
from tests.support.identity import FakeClock, Harness
from tests.support.vaults import new_vault, token_headers
from vault03_api.vaults.maintenance import purge_once


def versions(harness: Harness, headers: dict[str, str], file_id: object) -> list[dict[str, object]]:
    response = harness.client.get(f"/api/files/{file_id}/versions", headers=headers)
    assert response.status_code == 200, response.text
    listed: list[dict[str, object]] = response.json()
    return listed


def two_versions(
    harness: Harness, fake_clock: FakeClock, second_data: bytes = b"two"
) -> tuple[dict[str, str], int, dict[str, object], dict[str, object]]:
    """Staff headers, a vault, and "a.txt" uploaded twice a minute apart ("one", then more)."""
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    first = upload(harness, staff, vault_id, "a.txt", b"one")
    fake_clock.advance(minutes=1)
    return staff, vault_id, first, upload(harness, staff, vault_id, "a.txt", second_data)


def test_an_upload_of_an_existing_name_adds_a_version(
    harness: Harness, fake_clock: FakeClock
) -> None:
    staff, vault_id, first, second = two_versions(harness, fake_clock)
    client = harness.client
    listed = client.get(f"/api/vaults/{vault_id}/files", headers=staff).json()
    assert [f["id"] for f in listed] == [second["id"]]
    # The live file downloads as before; the older version under /versions.
    assert client.get(f"/api/files/{second['id']}/content", headers=staff).content == b"two"
    found = versions(harness, staff, second["id"])
    assert [(v["id"], v["current"]) for v in found] == [(second["id"], True), (first["id"], False)]
    older = client.get(f"/api/files/{second['id']}/versions/{first['id']}/content", headers=staff)
    assert older.status_code == 200 and older.content == b"one"
    assert "a.txt" in older.headers["content-disposition"]
    assert harness.audit(entity_type="files", entity_id=first["id"], action="r")
    ranged = client.get(
        f"/api/files/{second['id']}/versions/{first['id']}/content",
        headers={**staff, "Range": "bytes=1-"},
    )
    assert ranged.status_code == 206 and ranged.content == b"ne"
    # An auditor sees the list, never the contents.
    auditor = token_headers(harness, "auditor")
    assert len(versions(harness, auditor, second["id"])) == 2
    path = f"/api/files/{second['id']}/versions/{first['id']}/content"
    assert client.get(path, headers=auditor).status_code == 403
    vault = client.get(f"/api/vaults/{vault_id}", headers=staff).json()
    assert (vault["file_count"], vault["used_bytes"]) == (1, 3)


def test_restoring_an_older_version_keeps_the_one_it_replaces(
    harness: Harness, fake_clock: FakeClock
) -> None:
    staff, vault_id, first, second = two_versions(harness, fake_clock, b"two!")
    client = harness.client
    restored = client.post(
        f"/api/files/{second['id']}/versions/{first['id']}/restore", headers=staff
    )
    assert restored.status_code == 200, restored.text
    assert restored.json()["id"] == first["id"] and restored.json()["name"] == "a.txt"
    listed = client.get(f"/api/vaults/{vault_id}/files", headers=staff).json()
    assert [f["id"] for f in listed] == [first["id"]]
    assert client.get(f"/api/files/{first['id']}/content", headers=staff).content == b"one"
    assert client.get(f"/api/files/{second['id']}", headers=staff).status_code == 404
    found = versions(harness, staff, first["id"])
    assert {str(v["id"]): v["current"] for v in found} == {first["id"]: True, second["id"]: False}
    entries = harness.audit(entity_type="files", entity_id=first["id"], action="u")
    assert [e["event"] for e in entries][-1] == "version_restored"
    assert entries[-1]["changed_by"] is not None
    # The next upload is a version of the same document.
    third = upload(harness, staff, vault_id, "a.txt", b"three")
    assert len(versions(harness, staff, third["id"])) == 3


def test_unknown_versions_and_files_are_404_json(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    one = upload(harness, staff, vault_id, "a.txt", b"one")
    other = upload(harness, staff, vault_id, "b.txt", b"other")
    client = harness.client
    for path in (
        f"/api/files/{one['id']}/versions/{other['id']}/content",
        f"/api/files/{one['id']}/versions/nothing/content",
        "/api/files/nothing/versions",
    ):
        response = client.get(path, headers=staff)
        assert response.status_code == 404, path
        assert response.json()["error"]
    refused = client.post(f"/api/files/{one['id']}/versions/{other['id']}/restore", headers=staff)
    assert refused.status_code == 404
    assert client.get(f"/api/files/{one['id']}/content", headers=staff).content == b"one"


def test_a_restore_past_the_quota_is_refused(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff, quota_bytes=10)
    first = upload(harness, staff, vault_id, "a.txt", b"x" * 8)
    second = upload(harness, staff, vault_id, "a.txt", b"y")
    upload(harness, staff, vault_id, "b.txt", b"z" * 5)
    path = f"/api/files/{second['id']}/versions/{first['id']}/restore"
    refused = harness.client.post(path, headers=staff)
    assert refused.status_code == 413 and "quota" in refused.json()["detail"]["reason"]


def test_versions_are_kept_until_the_file_is_deleted_and_purged(
    harness: Harness, fake_clock: FakeClock
) -> None:
    staff, _, first, second = two_versions(harness, fake_clock)
    blobs, engine = harness.state.blobs, harness.state.engine
    retention = harness.state.settings.vault_retention_days
    fake_clock.advance(days=retention + 1)
    assert purge_once(engine, blobs, retention_days=retention) == 0
    assert blobs.exists(str(first["id"]))
    staff = token_headers(harness, "staff", email="later@example.org")  # the first expired
    assert harness.client.delete(f"/api/files/{second['id']}", headers=staff).status_code == 204
    assert purge_once(engine, blobs, retention_days=retention) == 0
    fake_clock.advance(days=retention + 1)
    assert purge_once(engine, blobs, retention_days=retention) == 2
    assert not blobs.exists(str(first["id"])) and not blobs.exists(str(second["id"]))
