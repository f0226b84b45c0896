"""Vaults and files in the console, in Debian's Chromium against the real fleet: a vault is
created, three files (one of 200 MB) go up at once with a progress bar each, one upload is
cancelled, a file comes back down byte for byte, and one is deleted."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, expect

from tests.support import wait_for
from tests.support.console import signed_in_admin
from tests.support.fleet import Fleet
from tests.support.live_shares import staff_api_token

BIG = 200 * 1024 * 1024


def fractions_until_stored(progress: Locator, status: Locator) -> list[float]:
    """The values a progress bar shows until its file is stored (read as a person would)."""
    seen: list[float] = []

    def stored() -> bool:
        seen.append(float(progress.evaluate("bar => bar.value")))
        return "Stored" in status.inner_text()

    wait_for(stored, timeout=240, interval=0.05, what="the upload to be stored")
    return seen


@pytest.mark.fleet
def test_upload_many_files_cancel_one_download_and_delete(
    fleet: Fleet, browser: Browser, tmp_path: Path
) -> None:
    token = staff_api_token(fleet.database)
    with httpx.Client(base_url=fleet.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        customer = api.post(
            "/api/customers",
            json={"name": "Sophie Martin", "email": "sophie@example.org", "mobile": "+41791234567"},
        ).json()
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 " + os.urandom(150_000))
    notes = tmp_path / "notes.txt"
    notes.write_text("Questions for the meeting\n")
    big = tmp_path / "scans.zip"
    with big.open("wb") as handle:
        handle.truncate(BIG)
    page = signed_in_admin(fleet, browser)
    # Uploads over loopback would be done before anyone could watch: a line of 40 MB/s.
    page.context.new_cdp_session(page).send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": 40 * 1024 * 1024,
        },
    )

    page.goto(f"{fleet.api_url}/#/customers/{customer['id']}")
    expect(page.get_by_text("No vault yet.")).to_be_visible()
    page.get_by_label("Name of a new vault").fill("Tax return 2025")
    page.get_by_role("button", name="Create the vault").click()
    page.get_by_role("link", name="Tax return 2025").click()
    expect(page.get_by_role("heading", name="Tax return 2025")).to_be_visible()
    expect(page.get_by_text("No files in this vault yet.")).to_be_visible()

    page.get_by_label("Choose files").set_input_files([letter, notes, big])
    uploads = page.get_by_role("list", name="Files being sent").get_by_role("listitem")
    expect(uploads).to_have_count(3)
    row = uploads.filter(has_text="scans.zip")
    expect(row).to_contain_text("200 MiB")
    seen = fractions_until_stored(row.get_by_role("progressbar"), row.get_by_role("status"))
    assert any(0 < value < 1 for value in seen), seen  # the bar moved, not only 0 then done
    for name in ("letter.pdf", "notes.txt"):
        expect(uploads.filter(has_text=name).get_by_role("status")).to_have_text("Stored")
    files = page.get_by_role("table").get_by_role("row")
    expect(files).to_have_count(4)
    expect(page.get_by_role("row", name="scans.zip")).to_contain_text("200 MiB")
    expect(page.get_by_role("row", name="letter.pdf")).to_contain_text("You")

    # A second large file, cancelled while it is on its way: nothing of it is kept.
    again = tmp_path / "scans again.zip"
    again.symlink_to(big)
    page.get_by_label("Choose files").set_input_files([again])
    sending = uploads.filter(has_text="scans again.zip")
    wait_for(
        lambda: float(sending.get_by_role("progressbar").evaluate("bar => bar.value")) > 0,
        timeout=60,
        what="the second upload to start",
    )
    sending.get_by_role("button", name="Cancel scans again.zip").click()
    expect(sending.get_by_role("status")).to_have_text("Cancelled")
    expect(files).to_have_count(4)

    with page.expect_download() as waiting:
        page.get_by_role("link", name="letter.pdf").click()
    assert Path(waiting.value.path()).read_bytes() == letter.read_bytes()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete notes.txt").click()
    expect(files).to_have_count(3)
    page.reload()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(3)
    with httpx.Client(base_url=fleet.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        vaults = api.get(f"/api/customers/{customer['id']}/vaults").json()
        stored = api.get(f"/api/vaults/{vaults[0]['id']}/files").json()
    assert sorted((f["name"], f["size"]) for f in stored) == [
        ("letter.pdf", letter.stat().st_size),
        ("scans.zip", BIG),
    ]
