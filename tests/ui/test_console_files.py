"""A customer's documents both ways through the console, in Debian's Chromium against the real
fleet (API, NATS, workers with their local sinks): staff create the customer and a vault, send
three files at once (one of 200 MB) while each progress bar moves, cancel a fourth, download and
delete, and share the vault with its code by SMS. The customer opens the link from the email sink
with the code from the SMS sink, downloads a document and sends one back; staff see it arrive
from the customer, read the access log, and revoke the share."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, expect

from tests.support import wait_for
from tests.support.console import (
    emails,
    screenshot,
    share_link,
    signed_in_admin,
    sms_codes,
    staff_client,
)
from tests.support.fleet import Fleet

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
def test_documents_go_to_the_customer_and_come_back(
    fleet: Fleet, browser: Browser, tmp_path: Path
) -> None:
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 " + os.urandom(150_000))
    notes = tmp_path / "notes.txt"
    notes.write_text("Questions for the meeting\n")
    big = tmp_path / "scans.zip"
    with big.open("wb") as handle:
        handle.truncate(BIG)  # a sparse file: 200 MB on the wire, nothing held in memory
    signed = tmp_path / "signed return.pdf"
    signed.write_bytes(b"%PDF-1.4 signed " + os.urandom(20_000))
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

    page.get_by_role("navigation").get_by_role("link", name="Customers").click()
    expect(page.get_by_text("No customers yet.")).to_be_visible()
    page.get_by_role("link", name="New customer").click()
    # The list's search ("Search by name, ...") is a "Name" too until the form has replaced it.
    expect(page.get_by_role("heading", name="New customer")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Sophie Martin")
    page.get_by_label("Email").fill("sophie@example.org")
    page.get_by_label("Mobile phone").fill("+41 79 123 45 67")
    screenshot(page, "new-customer")
    page.get_by_role("button", name="Create the customer").click()
    expect(page.get_by_role("heading", name="Sophie Martin")).to_be_visible()
    expect(page.get_by_text("No vault yet.")).to_be_visible()
    page.get_by_label("Name of a new vault").fill("Tax return 2025")
    page.get_by_role("button", name="Create the vault").click()
    expect(page.get_by_role("link", name="Tax return 2025")).to_be_visible()
    page.get_by_role("link", name="Tax return 2025").click()
    expect(page.get_by_role("heading", name="Tax return 2025")).to_be_visible()
    expect(page.get_by_text("No files in this vault yet.")).to_be_visible()

    page.get_by_label("Choose files").set_input_files([letter, notes, big])
    uploads = page.get_by_role("list", name="Files being sent").get_by_role("listitem")
    expect(uploads).to_have_count(3)
    row = uploads.filter(has_text="scans.zip")
    expect(row).to_contain_text("200 MB")
    seen = fractions_until_stored(row.get_by_role("progressbar"), row.get_by_role("status"))
    assert any(0 < value < 1 for value in seen), seen  # the bar moved, not only 0 then done
    for name in ("letter.pdf", "notes.txt"):
        expect(uploads.filter(has_text=name).get_by_role("status")).to_have_text("Stored")
    files = page.get_by_role("table").get_by_role("row")
    expect(files).to_have_count(4)
    expect(page.get_by_role("row", name="scans.zip")).to_contain_text("200 MB")
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
        page.get_by_role("link", name="letter.pdf", exact=True).click()
    assert Path(waiting.value.path()).read_bytes() == letter.read_bytes()

    page.get_by_role("button", name="Delete notes.txt").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete", exact=True).click()
    expect(files).to_have_count(3)

    # Share with Sophie: the link by email, the code by SMS, and she may send documents back.
    page.get_by_label("Access code goes by").select_option(label="Text message (SMS)")
    page.get_by_label("Send files back").check()
    page.get_by_label("Note for the recipient").fill("Please sign the return and send it back.")
    screenshot(page, "vault")
    page.get_by_role("button", name="Share and send the link").click()
    expect(page.get_by_role("heading", name="Share with Sophie Martin")).to_be_visible()
    expect(page.get_by_role("row", name="The access code")).to_contain_text("Sent", timeout=60_000)
    share_url = page.url

    link = wait_for(lambda: share_link(fleet), timeout=60, what="the share link email")
    code = wait_for(lambda: sms_codes(fleet), timeout=60, what="the access code SMS")[0]
    customer = browser.new_context(java_script_enabled=False).new_page()
    customer.goto(link)
    customer.get_by_label("Access code").fill(code)
    customer.get_by_role("button", name="Open the documents").click()
    expect(customer.get_by_role("heading", name="Tax return 2025")).to_be_visible()
    with customer.expect_download() as waiting:
        customer.get_by_role("link", name="letter.pdf", exact=True).click()
    assert Path(waiting.value.path()).read_bytes() == letter.read_bytes()
    customer.get_by_label("Documents to send").set_input_files(signed)
    customer.get_by_role("button", name="Send the documents", exact=True).click()
    expect(customer.get_by_role("status")).to_contain_text("we received signed return.pdf")

    # Staff see it arrive, from the customer, and the notice reaches the one who shared.
    page.get_by_role("link", name="Back to the vault").click()
    arrived = page.get_by_role("row", name="signed return.pdf")
    expect(arrived).to_contain_text("The customer")
    with page.expect_download() as waiting:
        arrived.get_by_role("link", name="signed return.pdf", exact=True).click()
    assert Path(waiting.value.path()).read_bytes() == signed.read_bytes()
    wait_for(
        lambda: [m for m in emails(fleet) if "signed return.pdf" in str(m["Subject"])],
        timeout=60,
        what="the notice of the document received",
    )

    page.goto(share_url)
    log = page.get_by_role("table", name="Access log")
    for what in ("Entered the code", "Downloaded", "Sent a file"):
        expect(log.get_by_role("row").filter(has_text=what).first).to_contain_text("OK")
    expect(log.get_by_role("row").filter(has_text="signed return.pdf")).to_have_count(1)
    screenshot(page, "share")
    page.get_by_role("button", name="Revoke the share").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke the share").click()
    expect(page.get_by_role("status").first).to_contain_text("The share is revoked")
    assert customer.goto(link).status in (403, 404, 410)
    page.get_by_role("link", name="Back to the vault").click()
    page.get_by_role("link", name="Back to the customer").click()
    expect(page.get_by_role("heading", name="Sophie Martin")).to_be_visible()
    timeline = page.get_by_role("table", name="Timeline")
    expect(timeline).to_contain_text("signed return.pdf")
    screenshot(page, "customer")

    with staff_client(fleet) as api:
        sophie = api.get("/api/customers", params={"q": "Sophie"}).json()["items"][0]
        vault = api.get(f"/api/customers/{sophie['id']}/vaults").json()[0]
        stored = api.get(f"/api/vaults/{vault['id']}/files").json()
    assert sorted((f["name"], f["size"], f["uploaded_by"] is None) for f in stored) == [
        ("letter.pdf", letter.stat().st_size, False),
        ("scans.zip", BIG, False),
        ("signed return.pdf", signed.stat().st_size, True),
    ]
