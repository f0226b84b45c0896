"""Documents sent back through a share: a limit per share, names that never replace a staff
document, and a document sent again through its share kept as a new version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.identity import FakeClock, Harness, harness_for, make_settings
from tests.support.shares import (
    Uploading,
    create_share,
    csrf_of,
    enter_code,
    signed_in_to_upload,
)


@pytest.fixture
def limited(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Harness]:
    yield from harness_for(make_settings(tmp_path, share_max_uploads=2), fake_clock)


def names(harness: Harness, vault_id: int, headers: dict[str, str]) -> dict[str, bool]:
    """Live file names of the vault -> whether a recipient sent it."""
    listed = harness.client.get(f"/api/vaults/{vault_id}/files", headers=headers).json()
    return {f["name"]: f["uploaded_by"] is None for f in listed}


def test_a_share_accepts_at_most_share_max_uploads_documents(limited: Harness) -> None:
    up = signed_in_to_upload(limited, permissions=["upload"])
    answers = [up.send(f"scan-{n}.pdf", b"%PDF page") for n in range(3)]
    assert [a.status_code for a in answers] == [303, 303, 403]
    assert "the most it accepts" in answers[2].text
    assert sorted(names(limited, up.vault_id, up.headers)) == ["scan-0.pdf", "scan-1.pdf"]
    outcomes = limited.sql(
        "SELECT outcome FROM share_access WHERE share_id = :id AND event = 'upload' ORDER BY id",
        id=up.shared.id,
    )
    assert [row[0] for row in outcomes] == ["ok", "ok", "upload_limit_reached"]


def test_staff_replacing_a_name_never_replaces_a_recipients_document(harness: Harness) -> None:
    up = signed_in_to_upload(harness, permissions=["upload"])
    assert up.send("contract.pdf", b"signed by the customer").status_code == 303
    put = harness.client.put(
        f"/api/vaults/{up.vault_id}/files/contract.pdf", content=b"staff v1", headers=up.headers
    )
    assert put.status_code == 201 and put.json()["name"] == "contract (2).pdf"
    assert names(harness, up.vault_id, up.headers) == {
        "contract.pdf": True,
        "contract (2).pdf": False,
    }
    # A staff file of the name is still replaced by a staff upload.
    again = harness.client.put(
        f"/api/vaults/{up.vault_id}/files/contract (2).pdf",
        content=b"staff v2",
        headers=up.headers,
    )
    assert again.status_code == 201 and again.json()["name"] == "contract (2).pdf"
    assert len(names(harness, up.vault_id, up.headers)) == 2


def test_a_bidi_override_in_an_uploaded_name_is_neutralised(harness: Harness) -> None:
    up = signed_in_to_upload(harness, permissions=["upload"])
    assert up.send("invoice\u202efdp.exe", b"MZ").status_code == 303
    assert list(names(harness, up.vault_id, up.headers)) == ["invoice_fdp.exe"]


def test_a_document_sent_again_through_its_share_is_a_new_version(harness: Harness) -> None:
    up = signed_in_to_upload(harness, permissions=["upload"])
    assert up.send("scan.pdf", b"first scan").status_code == 303
    assert up.send("scan.pdf", b"better scan").status_code == 303
    listed = harness.client.get(f"/api/vaults/{up.vault_id}/files", headers=up.headers).json()
    assert [f["name"] for f in listed] == ["scan.pdf"]
    found = harness.client.get(f"/api/files/{listed[0]['id']}/versions", headers=up.headers)
    assert [v["current"] for v in found.json()] == [True, False]
    # Another share of the vault, and staff, never add a version to this share's document.
    other = create_share(harness, up.headers, up.vault_id, permissions=["upload"])
    browser = harness.new_client()
    assert enter_code(browser, other).status_code == 303
    csrf = csrf_of(browser.get(other.path).text)
    second = Uploading(up.headers, up.vault_id, other, browser, csrf)
    assert second.send("scan.pdf", b"someone else").status_code == 303
    staff_put = harness.client.put(
        f"/api/vaults/{up.vault_id}/files/scan.pdf", content=b"staff", headers=up.headers
    )
    assert staff_put.json()["name"] == "scan (3).pdf"
    # The first recipient's next scan is again a version of their own document.
    assert up.send("scan.pdf", b"best scan").status_code == 303
    assert names(harness, up.vault_id, up.headers) == {
        "scan.pdf": True,
        "scan (2).pdf": True,
        "scan (3).pdf": False,
    }
    listed = harness.client.get(f"/api/vaults/{up.vault_id}/files", headers=up.headers).json()
    current = next(f for f in listed if f["name"] == "scan.pdf")
    found = harness.client.get(f"/api/files/{current['id']}/versions", headers=up.headers)
    assert len(found.json()) == 3
    content = harness.client.get(f"/api/files/{current['id']}/content", headers=up.headers)
    assert content.content == b"best scan"


def test_the_page_separates_documents_for_you_from_documents_you_sent(harness: Harness) -> None:
    up = signed_in_to_upload(harness, permissions=["download", "upload"])
    staff_put = harness.client.put(
        f"/api/vaults/{up.vault_id}/files/letter.pdf", content=b"from staff", headers=up.headers
    )
    assert staff_put.status_code == 201
    assert up.send("mine.pdf", b"from the customer").status_code == 303
    page = up.browser.get(up.shared.path).text
    for_you, sent = page.split('id="sent-title"')
    assert "Documents for you" in for_you and "letter.pdf" in for_you
    assert "mine.pdf" not in for_you and "mine.pdf" in sent and "letter.pdf" not in sent
    listed = harness.client.get(f"/api/vaults/{up.vault_id}/files", headers=up.headers).json()
    mine = next(f["id"] for f in listed if f["name"] == "mine.pdf")
    assert up.browser.get(f"{up.shared.path}/files/{mine}").content == b"from the customer"
    # Another share of the vault never shows, nor serves, what this recipient sent.
    other = create_share(harness, up.headers, up.vault_id, permissions=["download"])
    browser = harness.new_client()
    assert enter_code(browser, other).status_code == 303
    other_page = browser.get(other.path).text
    assert "letter.pdf" in other_page and "mine.pdf" not in other_page
    assert "Documents you sent" not in other_page
    assert browser.get(f"{other.path}/files/{mine}").status_code == 404
