"""Several documents in one upload form: each stored or refused on its own and reported on the
page (or as JSON to the page's script); the page's only script is a file of our origin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.identity import FakeClock, Harness, harness_for, make_settings
from tests.support.shares import Uploading, signed_in_to_upload
from vault03_api.portal.pages import CONTENT_SECURITY_POLICY
from vault03_api.portal.router import MAX_FORM_FILES


@pytest.fixture
def small(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Harness]:
    settings = make_settings(tmp_path, max_file_bytes=1000, share_max_uploads=30)
    yield from harness_for(settings, fake_clock)


def post(up: Uploading, files: list[tuple[str, bytes]], **headers: str):  # type: ignore[no-untyped-def]
    return up.browser.post(
        f"{up.shared.path}/files?csrf={up.csrf}",
        files=[("file", (name, data, "application/pdf")) for name, data in files],
        headers=headers,
        follow_redirects=False,
    )


def stored_names(harness: Harness, vault_id: int) -> list[str]:
    rows = harness.sql(
        "SELECT name FROM files WHERE vault_id = :v AND deleted_at IS NULL ORDER BY name",
        v=vault_id,
    )
    return [row[0] for row in rows]


def upload_outcomes(harness: Harness, share_id: int) -> list[tuple[str, str | None]]:
    rows = harness.sql(
        "SELECT outcome, file_name FROM share_access WHERE share_id = :id AND event = 'upload' "
        "ORDER BY id",
        id=share_id,
    )
    return [(row[0], row[1]) for row in rows]


def test_one_form_sends_several_documents_and_reports_each(small: Harness) -> None:
    up = signed_in_to_upload(small, permissions=["upload"])
    sent = post(up, [("a.pdf", b"%PDF a"), ("big.pdf", b"x" * 1001), ("b.pdf", b"%PDF b")])
    assert sent.status_code == 303, sent.text
    query = parse_qs(urlsplit(sent.headers["location"]).query)
    assert query == {"uploaded": ["a.pdf", "b.pdf"], "refused": ["too_large:big.pdf"]}
    assert stored_names(small, up.vault_id) == ["a.pdf", "b.pdf"]
    assert upload_outcomes(small, up.shared.id) == [
        ("ok", "a.pdf"),
        ("TooLarge", "big.pdf"),
        ("ok", "b.pdf"),
    ]
    page = up.browser.get(sent.headers["location"]).text
    status = re.search(r'role="status">(.*?)</div>', page, re.S)
    alert = re.search(r'role="alert">(.*?)</div>', page, re.S)
    assert status and "<strong>a.pdf</strong>, <strong>b.pdf</strong>" in status.group(1)
    assert alert and "<strong>big.pdf</strong>: it is larger than this share accepts" in (
        alert.group(1)
    )


def test_the_page_script_gets_each_file_reported_as_json(small: Harness) -> None:
    up = signed_in_to_upload(small, permissions=["upload"])
    one = post(up, [("a.pdf", b"%PDF a")], accept="application/json")
    assert one.status_code == 200
    assert one.json() == {
        "files": [{"name": "a.pdf", "received": True, "reason": None, "message": None}]
    }
    assert one.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    big = post(up, [("big.pdf", b"x" * 1001)], accept="application/json")
    assert big.status_code == 413
    assert big.json()["files"] == [
        {
            "name": "big.pdf",
            "received": False,
            "reason": "too_large",
            "message": "it is larger than this share accepts",
        }
    ]


def test_a_single_refused_file_without_script_answers_its_error_page(small: Harness) -> None:
    up = signed_in_to_upload(small, permissions=["upload"])
    big = post(up, [("big.pdf", b"x" * 1001)])
    assert big.status_code == 413 and "text/html" in big.headers["content-type"]
    assert stored_names(small, up.vault_id) == []


def test_a_form_sends_at_most_max_form_files_and_the_share_its_upload_limit(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    for harness in harness_for(make_settings(tmp_path, share_max_uploads=21), fake_clock):
        up = signed_in_to_upload(harness, permissions=["upload"])
        files = [(f"scan-{n:02}.pdf", b"%PDF") for n in range(MAX_FORM_FILES + 1)]
        sent = post(up, files)
        query = parse_qs(urlsplit(sent.headers["location"]).query)
        assert len(query["uploaded"]) == MAX_FORM_FILES
        assert query["refused"] == [f"too_many:scan-{MAX_FORM_FILES:02}.pdf"]
        # Two more would pass the share's limit of 21: the second is refused.
        sent = post(up, [("c.pdf", b"%PDF"), ("d.pdf", b"%PDF")])
        query = parse_qs(urlsplit(sent.headers["location"]).query)
        assert query == {"uploaded": ["c.pdf"], "refused": ["limit:d.pdf"]}
        assert len(stored_names(harness, up.vault_id)) == 21


def test_the_upload_page_loads_its_script_from_our_origin_only(small: Harness) -> None:
    up = signed_in_to_upload(small, permissions=["upload"])
    page = up.browser.get(up.shared.path)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts == [(' src="/s/assets/upload.js" defer', "")]
    assert '<input id="file" name="file" type="file" multiple required' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    script = up.browser.get("/s/assets/upload.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
