"""Shares of chosen documents: only those are listed and served, each followed to its newest
version; files that cannot be chosen are refused in words; guessed ids are refused and logged."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.identity import Harness
from tests.support.shares import (
    Shared,
    create_share,
    csrf_of,
    enter_code,
    staff,
    vault_with_files,
)

FILES = {"a.pdf": b"%PDF a", "b.pdf": b"%PDF b", "c.pdf": b"%PDF c"}


def _signed_in(harness: Harness, shared: Shared) -> Any:
    browser = harness.new_client()
    assert enter_code(browser, shared).status_code == 303
    return browser


def _download_log(harness: Harness, share_id: int) -> list[tuple[str, str | None]]:
    rows = harness.sql(
        "SELECT outcome, file_id FROM share_access WHERE share_id = :id AND event = 'download' "
        "ORDER BY id",
        id=share_id,
    )
    return [(row[0], row[1]) for row in rows]


def test_a_share_of_chosen_files_lists_and_serves_only_them(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, ids = vault_with_files(harness, headers, FILES)
    shared = create_share(
        harness,
        headers,
        vault_id,
        permissions=["download", "upload"],
        file_ids=[ids["c.pdf"], ids["a.pdf"], ids["a.pdf"]],
    )
    assert shared.body["whole_vault"] is False
    assert [(f["name"], f["file_id"], f["available"]) for f in shared.body["files"]] == [
        ("a.pdf", ids["a.pdf"], True),
        ("c.pdf", ids["c.pdf"], True),
    ]
    detail = harness.client.get(f"/api/shares/{shared.id}", headers=headers).json()
    assert [f["name"] for f in detail["files"]] == ["a.pdf", "c.pdf"]

    browser = _signed_in(harness, shared)
    page = browser.get(shared.path).text
    assert "a.pdf" in page and "c.pdf" in page and "b.pdf" not in page
    assert browser.get(f"{shared.path}/files/{ids['a.pdf']}").content == FILES["a.pdf"]
    refused = browser.get(f"{shared.path}/files/{ids['b.pdf']}")
    assert refused.status_code == 404 and "not in the shared documents" in refused.text
    assert _download_log(harness, shared.id) == [("ok", ids["a.pdf"]), ("not_found", None)]
    audited = harness.sql(
        "SELECT new_values FROM audit_logs WHERE entity_type = 'share_access' AND action = 'c' "
        "AND new_values LIKE '%not_found%'"
    )
    assert len(audited) == 1

    # What the recipient sends back is theirs to see, beside the chosen documents.
    csrf = csrf_of(page)
    sent = browser.post(
        f"{shared.path}/files?csrf={csrf}",
        files={"file": ("signed.pdf", b"%PDF signed", "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    page = browser.get(shared.path).text
    assert "signed.pdf" in page and "b.pdf" not in page


def test_a_chosen_document_is_followed_to_its_newest_version_and_dropped_when_deleted(
    harness: Harness,
) -> None:
    headers = staff(harness)
    vault_id, ids = vault_with_files(harness, headers, FILES)
    shared = create_share(harness, headers, vault_id, file_ids=[ids["a.pdf"], ids["c.pdf"]])
    newer = harness.client.put(
        f"/api/vaults/{vault_id}/files/a.pdf", content=b"%PDF a, second version", headers=headers
    )
    assert newer.status_code == 201, newer.text
    new_id = newer.json()["id"]
    assert new_id != ids["a.pdf"]
    deleted = harness.client.delete(f"/api/files/{ids['c.pdf']}", headers=headers)
    assert deleted.status_code == 204, deleted.text

    detail = harness.client.get(f"/api/shares/{shared.id}", headers=headers).json()
    assert [(f["name"], f["file_id"], f["available"]) for f in detail["files"]] == [
        ("a.pdf", new_id, True),
        ("c.pdf", None, False),
    ]
    browser = _signed_in(harness, shared)
    page = browser.get(shared.path).text
    assert new_id in page and ids["a.pdf"] not in page and "c.pdf" not in page
    assert browser.get(f"{shared.path}/files/{new_id}").content == b"%PDF a, second version"
    assert browser.get(f"{shared.path}/files/{ids['a.pdf']}").status_code == 404
    assert browser.get(f"{shared.path}/files/{ids['c.pdf']}").status_code == 404


def test_files_that_cannot_be_shared_are_refused_in_words(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, ids = vault_with_files(harness, headers, FILES)
    other_vault, other_ids = vault_with_files(
        harness, headers, {"theirs.pdf": b"%PDF"}, email="other@example.org"
    )
    assert harness.client.delete(f"/api/files/{ids['b.pdf']}", headers=headers).status_code == 204
    superseded = ids["c.pdf"]
    harness.client.put(f"/api/vaults/{vault_id}/files/c.pdf", content=b"new", headers=headers)
    unknown = str(uuid.uuid4())
    cases = {
        other_ids["theirs.pdf"]: "is in another vault",
        ids["b.pdf"]: "is deleted",
        superseded: "is deleted or an older version",
        unknown: "does not exist",
    }
    for file_id, words in cases.items():
        response = harness.client.post(
            f"/api/vaults/{vault_id}/shares",
            json={"file_ids": [ids["a.pdf"], file_id]},
            headers=headers,
        )
        assert response.status_code == 422, response.text
        body = response.json()
        assert f"file {file_id} {words}" in body["error"]
        assert body["detail"] == {"file_ids": [file_id]}
    assert harness.sql("SELECT count(*) FROM shares")[0][0] == 0
    assert harness.sql("SELECT count(*) FROM share_files")[0][0] == 0
    # A share of the other vault cannot name this vault's file either.
    response = harness.client.post(
        f"/api/vaults/{other_vault}/shares", json={"file_ids": [ids["a.pdf"]]}, headers=headers
    )
    assert response.status_code == 422 and "is in another vault" in response.json()["error"]


def test_ids_guessed_through_the_portal_are_refused_and_logged(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, ids = vault_with_files(harness, headers, FILES)
    _, other_ids = vault_with_files(
        harness, headers, {"theirs.pdf": b"%PDF"}, email="other@example.org"
    )
    shared = create_share(harness, headers, vault_id, file_ids=[ids["a.pdf"]])
    browser = _signed_in(harness, shared)
    guesses = [ids["b.pdf"], ids["c.pdf"], other_ids["theirs.pdf"], str(uuid.uuid4()), "x" * 300]
    for guess in guesses:
        answer = browser.get(f"{shared.path}/files/{guess}")
        assert answer.status_code == 404, (guess, answer.status_code)
        assert FILES["b.pdf"] not in answer.content
    assert [outcome for outcome, _ in _download_log(harness, shared.id)] == ["not_found"] * 5
    assert harness.sql("SELECT download_count FROM shares")[0][0] == 0


def test_an_empty_choice_shares_the_whole_vault(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, FILES)
    shared = create_share(harness, headers, vault_id, file_ids=[])
    assert shared.body["whole_vault"] is True and shared.body["files"] == []
    page = _signed_in(harness, shared).get(shared.path).text
    assert all(name in page for name in FILES)
