"""Previews of PDFs and images in the browser: inline but sandboxed and never sniffed; any
other type (SVG and HTML included) stays a download; counted and refused like downloads."""

from __future__ import annotations

from tests.support.identity import Harness
from tests.support.shares import create_share, enter_code, staff, vault_with_files

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
FILES = {
    "scan.pdf": b"%PDF-1.4 scan",
    "photo.png": PNG,
    "drawing.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "page.html": b"<script>alert(1)</script>",
}


def test_pdfs_and_images_preview_inline_in_a_sandbox(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, ids = vault_with_files(harness, headers, FILES)
    # A type declared at upload wins over the name: HTML named .pdf is never shown inline.
    trick = harness.client.put(
        f"/api/vaults/{vault_id}/files/trick.pdf",
        content=b"<script>alert(1)</script>",
        headers={**headers, "Content-Type": "text/html"},
    )
    assert trick.status_code == 201, trick.text
    ids["trick.pdf"] = trick.json()["id"]
    shared = create_share(harness, headers, vault_id, max_downloads=10)
    browser = harness.new_client()
    assert enter_code(browser, shared).status_code == 303
    page = browser.get(shared.path).text
    for name in ("scan.pdf", "photo.png"):
        assert f'href="{shared.path}/files/{ids[name]}/preview"' in page
        assert f'aria-label="Preview {name}"' in page
    for name in ("drawing.svg", "page.html", "trick.pdf"):
        assert f"{ids[name]}/preview" not in page

    for name, media_type in (("scan.pdf", "application/pdf"), ("photo.png", "image/png")):
        shown = browser.get(f"{shared.path}/files/{ids[name]}/preview")
        assert shown.status_code == 200 and shown.content == FILES[name]
        assert shown.headers["content-type"] == media_type
        assert shown.headers["content-disposition"].startswith("inline;")
        assert shown.headers["content-security-policy"] == "sandbox"
        assert shown.headers["x-content-type-options"] == "nosniff"
        assert shown.headers["x-frame-options"] == "DENY"
    for name in ("drawing.svg", "page.html", "trick.pdf"):
        sent = browser.get(f"{shared.path}/files/{ids[name]}/preview")
        assert sent.status_code == 200
        assert sent.headers["content-disposition"].startswith("attachment;")
        assert sent.headers["content-security-policy"].startswith("default-src 'none'")
        assert sent.headers["x-content-type-options"] == "nosniff"
    # Downloads stay attachments, previewable or not.
    got = browser.get(f"{shared.path}/files/{ids['scan.pdf']}")
    assert got.headers["content-disposition"].startswith("attachment;")
    assert harness.sql("SELECT download_count FROM shares")[0][0] == 6


def test_a_preview_is_refused_where_a_download_is(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, ids = vault_with_files(harness, headers, FILES)
    request = create_share(harness, headers, vault_id, permissions=["upload"])
    chosen = create_share(harness, headers, vault_id, file_ids=[ids["photo.png"]])
    for shared, status in ((request, 403), (chosen, 404)):
        browser = harness.new_client()
        assert enter_code(browser, shared).status_code == 303
        refused = browser.get(f"{shared.path}/files/{ids['scan.pdf']}/preview")
        assert refused.status_code == status
        assert "sandbox" not in refused.headers["content-security-policy"]
        assert FILES["scan.pdf"] not in refused.content
    outcomes = harness.sql("SELECT outcome FROM share_access WHERE event = 'download'")
    assert sorted(row[0] for row in outcomes) == ["not_found", "not_permitted"]
    # Without a session, no preview at all.
    anonymous = harness.new_client().get(f"{chosen.path}/files/{ids['photo.png']}/preview")
    assert anonymous.status_code == 401
