"""The media type stored with a file and sent back with it: only a well-formed, bounded
`type/subtype`, whatever the uploader declared."""

from __future__ import annotations

import pytest

from tests.support.identity import Harness
from tests.support.shares import signed_in_to_upload, staff, vault_with_files
from vault03_api.vaults.service import media_type

HUGE = "application/pdf; x=" + "a" * 3_900  # the 3,919-byte part header nginx refused


@pytest.mark.parametrize(
    ("declared", "name", "stored"),
    [
        ("application/pdf", "a.pdf", "application/pdf"),
        ("Text/Plain; charset=UTF-8", "a.txt", "text/plain"),
        (HUGE, "a.bin", "application/pdf"),
        ("x/" + "y" * 200, "scan.pdf", "application/pdf"),  # too long: guessed from the name
        ("text/html\r\nSet-Cookie: a=b", "page.html", "text/html"),
        ("<script>", "notes.unknownext", "application/octet-stream"),
        ("", "photo.jpg", "image/jpeg"),
        (None, "data", "application/octet-stream"),
    ],
)
def test_only_a_bounded_media_type_is_kept(declared: str | None, name: str, stored: str) -> None:
    assert media_type(declared, name=name) == stored


def test_a_recipients_huge_part_content_type_is_not_stored_or_sent(harness: Harness) -> None:
    up = signed_in_to_upload(harness)
    assert up.send("scan.pdf", b"%PDF-1.4 scan", "x/" + "z" * 3_917).status_code == 303
    (listed,) = harness.client.get(f"/api/vaults/{up.vault_id}/files", headers=up.headers).json()
    assert listed["content_type"] == "application/pdf"
    got = up.browser.get(f"{up.shared.path}/files/{listed['id']}")
    assert got.status_code == 200 and got.content == b"%PDF-1.4 scan"
    assert got.headers["content-type"] == "application/pdf"


def test_a_staff_upload_keeps_only_the_essence_of_its_content_type(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {})
    put = harness.client.put(
        f"/api/vaults/{vault_id}/files/report.pdf",
        content=b"%PDF",
        headers={**headers, "Content-Type": HUGE},
    )
    assert put.status_code == 201 and put.json()["content_type"] == "application/pdf"
