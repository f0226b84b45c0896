"""The portal in a real browser (Debian's Chromium, headless, driven by Playwright): open the
link, a wrong code, the right code, download a document, send one back. No JavaScript is
needed by the pages, and the browser reports no Content-Security-Policy violation."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest

from tests.support.api_process import ApiProcess
from tests.support.live_shares import share_over_http, staff_api_token
from tests.support.outbox import last_sent
from tests.support.tools import CHROMIUM_FLAGS, require_tool


@pytest.mark.fleet
def test_the_whole_flow_in_chromium(api: ApiProcess, tmp_path: Path) -> None:
    chromium = require_tool("chromium")
    from playwright.sync_api import expect, sync_playwright

    database = api.root / "data" / "data.db"
    document = os.urandom(200_000)
    live = share_over_http(
        api.url,
        staff_api_token(database),
        files={"report.pdf": document},
        permissions=["download", "upload"],
        note="Please sign and send back the report.",
    )
    keys = api.root / "keys"
    link = str(last_sent(database, keys, "share_link")["context"]["link"])
    sms = str(last_sent(database, keys, "access_code")["text"])
    code = re.search(r"(\d{4} \d{4})", sms).group(1)  # type: ignore[union-attr]
    signed = tmp_path / "signed report.pdf"
    signed.write_bytes(b"%PDF-1.4 signed by the customer")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        context = browser.new_context(java_script_enabled=False, accept_downloads=True)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text))

        response = page.goto(link)
        assert response is not None and response.status == 200
        expect(page.get_by_role("heading", name="Enter your access code")).to_be_visible()
        page.get_by_label("Access code").fill("1111 2222")
        page.get_by_role("button", name="Open the documents").click()
        expect(page.get_by_role("alert")).to_contain_text("This code is not right")
        expect(page.get_by_label("Access code")).to_have_attribute("aria-invalid", "true")

        page.get_by_label("Access code").fill(code)
        page.get_by_role("button", name="Open the documents").click()
        expect(page.get_by_role("heading", name="Tax 2026")).to_be_visible()
        expect(page.locator("blockquote")).to_have_text("Please sign and send back the report.")

        with page.expect_download() as waiting:
            page.get_by_role("link", name="report.pdf", exact=True).click()
        download = waiting.value
        assert download.suggested_filename == "report.pdf"
        assert Path(download.path()).read_bytes() == document

        page.get_by_label("Documents to send").set_input_files(signed)
        page.get_by_role("button", name="Send the documents", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("signed report.pdf")
        expect(page.get_by_role("link", name="signed report.pdf", exact=True)).to_be_visible()

        page.get_by_role("button", name="Close the session").click()
        expect(page.get_by_role("heading", name="Enter your access code")).to_be_visible()
        context.close()
        browser.close()

    assert not [p for p in problems if "Content Security Policy" in p], problems
    with sqlite3.connect(database) as connection:
        events = connection.execute(
            "SELECT event, outcome FROM share_access WHERE share_id = ? ORDER BY id",
            (live.share["id"],),
        ).fetchall()
        names = {row[0] for row in connection.execute("SELECT name FROM files")}
    assert ("code", "wrong_code") in events and ("code", "ok") in events
    assert ("download", "ok") in events and ("upload", "ok") in events
    assert names == {"report.pdf", "signed report.pdf"}
