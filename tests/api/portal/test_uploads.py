"""Documents sent back through a share: a limit per share, and names that never replace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.identity import FakeClock, Harness, harness_for, make_settings
from tests.support.shares import create_share, csrf_of, enter_code, staff, vault_with_files


@pytest.fixture
def limited(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Harness]:
    yield from harness_for(make_settings(tmp_path, share_max_uploads=2), fake_clock)


def test_a_share_accepts_at_most_share_max_uploads_documents(limited: Harness) -> None:
    headers = staff(limited)
    vault_id, _ = vault_with_files(limited, headers, {})
    shared = create_share(limited, headers, vault_id, permissions=["upload"])
    browser = limited.new_client()
    assert enter_code(browser, shared).status_code == 303
    csrf = csrf_of(browser.get(shared.path).text)
    answers = [
        browser.post(
            f"{shared.path}/files?csrf={csrf}",
            files={"file": (f"scan-{n}.pdf", b"%PDF page", "application/pdf")},
            follow_redirects=False,
        )
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [303, 303, 403]
    assert "the most it accepts" in answers[2].text
    listed = limited.client.get(f"/api/vaults/{vault_id}/files", headers=headers).json()
    assert sorted(f["name"] for f in listed) == ["scan-0.pdf", "scan-1.pdf"]
    outcomes = limited.sql(
        "SELECT outcome FROM share_access WHERE share_id = :id AND event = 'upload' ORDER BY id",
        id=shared.id,
    )
    assert [row[0] for row in outcomes] == ["ok", "ok", "upload_limit_reached"]


def test_staff_replacing_a_name_never_replaces_a_recipients_document(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {})
    shared = create_share(harness, headers, vault_id, permissions=["upload"])
    browser = harness.new_client()
    assert enter_code(browser, shared).status_code == 303
    csrf = csrf_of(browser.get(shared.path).text)
    sent = browser.post(
        f"{shared.path}/files?csrf={csrf}",
        files={"file": ("contract.pdf", b"signed by the customer", "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    put = harness.client.put(
        f"/api/vaults/{vault_id}/files/contract.pdf", content=b"staff v1", headers=headers
    )
    assert put.status_code == 201 and put.json()["name"] == "contract (2).pdf"
    listed = harness.client.get(f"/api/vaults/{vault_id}/files", headers=headers).json()
    assert {f["name"]: f["uploaded_by"] is None for f in listed} == {
        "contract.pdf": True,
        "contract (2).pdf": False,
    }
    # A staff file of the name is still replaced by a staff upload.
    again = harness.client.put(
        f"/api/vaults/{vault_id}/files/contract (2).pdf", content=b"staff v2", headers=headers
    )
    assert again.status_code == 201 and again.json()["name"] == "contract (2).pdf"
    listed = harness.client.get(f"/api/vaults/{vault_id}/files", headers=headers).json()
    assert len(listed) == 2


def test_a_bidi_override_in_an_uploaded_name_is_neutralised(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {})
    shared = create_share(harness, headers, vault_id, permissions=["upload"])
    browser = harness.new_client()
    assert enter_code(browser, shared).status_code == 303
    csrf = csrf_of(browser.get(shared.path).text)
    sent = browser.post(
        f"{shared.path}/files?csrf={csrf}",
        files={"file": ("invoice\u202efdp.exe", b"MZ", "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    listed = harness.client.get(f"/api/vaults/{vault_id}/files", headers=headers).json()
    assert [f["name"] for f in listed] == ["invoice_fdp.exe"]
