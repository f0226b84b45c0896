"""The portal's upload form and previews in a real browser (Debian's Chromium through
Playwright): several documents at once with a progress bar each, dropped or chosen; the same
form without JavaScript; PDFs and images previewed in a sandbox. The browser reports no
Content-Security-Policy violation."""

from __future__ import annotations

import io
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.support.api_process import ApiProcess
from tests.support.live_shares import share_over_http, staff_api_token
from tests.support.outbox import last_sent
from tests.support.tools import CHROMIUM_FLAGS, require_tool

# Every change under the upload list, as the page shows it: [name, progress, state] per file.
WATCH_TRANSFERS = """() => new MutationObserver(() => window.reportTransfers(
  Array.from(document.querySelectorAll('.transfers li')).map((li) => [
    li.querySelector('.name').textContent,
    li.querySelector('progress').value,
    li.querySelector('.state').textContent,
  ])
)).observe(
  document.body, {subtree: true, childList: true, attributes: true, characterData: true}
)"""


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def shared_link(api: ApiProcess, files: dict[str, bytes]) -> tuple[str, str, int]:
    database = api.root / "data" / "data.db"
    live = share_over_http(
        api.url, staff_api_token(database), files=files, permissions=["download", "upload"]
    )
    keys = api.root / "keys"
    link = str(last_sent(database, keys, "share_link")["context"]["link"])
    sms = str(last_sent(database, keys, "access_code")["text"])
    code = re.search(r"(\d{4} \d{4})", sms).group(1)  # type: ignore[union-attr]
    return link, code, int(live.share["id"])


def sign_in(page: Any, link: str, code: str) -> None:
    from playwright.sync_api import expect

    page.goto(link)
    page.get_by_label("Access code").fill(code)
    page.get_by_role("button", name="Open the documents").click()
    expect(page.get_by_role("heading", name="Tax 2026")).to_be_visible()


def received(api: ApiProcess, share_id: int) -> list[str]:
    with sqlite3.connect(api.root / "data" / "data.db") as connection:
        rows = connection.execute(
            "SELECT file_name FROM share_access WHERE share_id = ? AND event = 'upload' "
            "AND outcome = 'ok' ORDER BY id",
            (share_id,),
        ).fetchall()
    return [row[0] for row in rows]


@pytest.mark.fleet
def test_several_documents_with_progress_dropped_or_chosen(api: ApiProcess, tmp_path: Path) -> None:
    chromium = require_tool("chromium")
    from playwright.sync_api import expect, sync_playwright

    link, code, share_id = shared_link(api, {"report.pdf": b"%PDF-1.4 report"})
    chosen = []
    for name, size in (("scan one.pdf", 4 << 20), ("scan two.pdf", 300_000), ("note.txt", 10)):
        path = tmp_path / name
        path.write_bytes(os.urandom(size))
        chosen.append(path)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text))
        sign_in(page, link, code)
        expect(page.get_by_text("Drop the documents to send them")).to_be_visible()

        seen: list[list[list[Any]]] = []
        page.expose_function("reportTransfers", lambda rows: seen.append(rows))
        page.evaluate(WATCH_TRANSFERS)
        page.get_by_label("Documents to send").set_input_files(chosen)
        page.get_by_role("button", name="Send the documents", exact=True).click()
        status = page.get_by_role("status").filter(has_text="Thank you")
        expect(status).to_contain_text("scan one.pdf, scan two.pdf, note.txt")
        # Each file had its own bar, which filled, and its own state.
        rows = [row for snapshot in seen for row in snapshot]
        assert [row[0] for row in seen[0]] == ["scan one.pdf", "scan two.pdf", "note.txt"]
        for name in ("scan one.pdf", "scan two.pdf", "note.txt"):
            assert [name, 0, "Sending"] in rows, rows
            assert [name, 100, "Received"] in rows, rows
        for name in ("scan one.pdf", "scan two.pdf", "note.txt"):
            expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()

        # Dropped on the form: sent the same way.
        dropped = page.evaluate_handle(
            """() => { const data = new DataTransfer();
              data.items.add(new File(['dropped text'], 'dropped.txt', {type: 'text/plain'}));
              return data; }"""
        )
        page.dispatch_event("form.upload", "dragover", {"dataTransfer": dropped})
        expect(page.locator("form.upload")).to_have_class(re.compile("dragging"))
        page.dispatch_event("form.upload", "drop", {"dataTransfer": dropped})
        expect(page.get_by_role("status").filter(has_text="Thank you")).to_contain_text(
            "dropped.txt"
        )
        browser.close()

    assert not [p for p in problems if "Content Security Policy" in p], problems
    assert received(api, share_id) == ["scan one.pdf", "scan two.pdf", "note.txt", "dropped.txt"]
    files = {path.name: path.read_bytes() for path in chosen}
    database = api.root / "data" / "data.db"
    with sqlite3.connect(database) as connection:
        sizes = dict(connection.execute("SELECT name, size FROM files").fetchall())
    assert all(sizes[name] == len(data) for name, data in files.items())


@pytest.mark.fleet
def test_several_documents_without_javascript(api: ApiProcess, tmp_path: Path) -> None:
    chromium = require_tool("chromium")
    from playwright.sync_api import expect, sync_playwright

    link, code, share_id = shared_link(api, {"report.pdf": b"%PDF-1.4 report"})
    chosen = []
    for name in ("first.pdf", "second.pdf"):
        path = tmp_path / name
        path.write_bytes(os.urandom(50_000))
        chosen.append(path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        page = browser.new_context(java_script_enabled=False).new_page()
        sign_in(page, link, code)
        expect(page.get_by_text("Drop the documents to send them")).to_have_count(0)
        page.get_by_label("Documents to send").set_input_files(chosen)
        page.get_by_role("button", name="Send the documents", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("first.pdf, second.pdf")
        browser.close()
    assert received(api, share_id) == ["first.pdf", "second.pdf"]


@pytest.mark.fleet
def test_previews_are_sandboxed_and_never_sniffed(api: ApiProcess) -> None:
    chromium = require_tool("chromium")
    from playwright.sync_api import expect, sync_playwright

    picture = png()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>document.title="ran"</script></svg>'
    link, code, _ = shared_link(
        api, {"photo.png": picture, "scan.pdf": b"%PDF-1.4\n%%EOF", "drawing.svg": svg}
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        sign_in(page, link, code)
        expect(page.get_by_role("link", name="Preview drawing.svg")).to_have_count(0)
        with page.expect_popup() as opening:
            page.get_by_role("link", name="Preview photo.png").click()
        popup = opening.value
        shown = popup.locator("img")
        expect(shown).to_be_visible()
        assert popup.evaluate("() => document.images[0].naturalWidth") == 40

        base = link.rstrip("/")
        hrefs = {
            name: page.get_by_role("link", name=name, exact=True).get_attribute("href")
            for name in ("photo.png", "scan.pdf", "drawing.svg")
        }
        for name, media_type in (("photo.png", "image/png"), ("scan.pdf", "application/pdf")):
            answer = context.request.get(f"{base.split('/s/')[0]}{hrefs[name]}/preview")
            assert answer.status == 200
            assert answer.headers["content-type"] == media_type
            assert answer.headers["content-security-policy"] == "sandbox"
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["content-disposition"].startswith("inline;")
        # SVG is active content: sent as a download even from the preview address.
        with page.expect_download() as waiting:
            page.evaluate(
                "(href) => { const a = document.createElement('a'); a.href = href; a.click(); }",
                f"{hrefs['drawing.svg']}/preview",
            )
        assert waiting.value.suggested_filename == "drawing.svg"
        assert page.title() != "ran"
        browser.close()
