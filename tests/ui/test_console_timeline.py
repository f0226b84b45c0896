"""A customer's timeline in the console, in Debian's Chromium against the real fleet: staff
prepare a vault and share it, the customer opens the link from the email with the code from
the SMS and downloads; the customer's page then tells all of it in words, naming staff and
the customer (never "nobody"), with the messages and their status, and nothing about another
customer; the activity view of that customer says the same, with sign-ins as such. Sizes read
alike in the console and the portal, and the page's icon is a file of this origin."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, expect

from tests.support import wait_for
from tests.support.console import shared_vault, signed_in_admin, staff_client
from tests.support.fleet import Fleet
from tests.ui.test_console_shares import share_link, sms_codes

SCAN = 1_500_000  # bytes: 1.4 MB wherever a person reads it


@pytest.mark.fleet
def test_customer_timeline_tells_what_happened_in_words(fleet: Fleet, browser: Browser) -> None:
    api = staff_client(fleet)
    other = api.post("/api/customers", json={"name": "Otto Other", "email": "otto@x.org"})
    api.post(f"/api/customers/{other.json()['id']}/vaults", json={"name": "Otto's papers"})
    made = shared_vault(api)
    vault_id, share_id = made["vault"]["id"], made["share"]["id"]
    scan = api.put(f"/api/vaults/{vault_id}/files/scan.pdf", content=b"\0" * SCAN)
    assert scan.status_code == 201, scan.text
    customer_id = made["customer"]["id"]

    link = wait_for(lambda: share_link(fleet), timeout=60, what="the share link email")
    code = wait_for(lambda: sms_codes(fleet), timeout=60, what="the access code SMS")[0]

    def reported_sent() -> bool:
        body = api.get(f"/api/shares/{share_id}").json()
        return all(body[key]["status"] == "sent" for key in ("link_delivery", "code_delivery"))

    wait_for(reported_sent, timeout=60, what="both messages reported sent")
    sophie = browser.new_context(java_script_enabled=False).new_page()
    sophie.goto(link)
    sophie.get_by_label("Access code").fill(code)
    sophie.get_by_role("button", name="Open the documents").click()
    expect(sophie.get_by_role("row", name=re.compile("scan.pdf"))).to_contain_text("1.4 MB")
    with sophie.expect_download():
        sophie.get_by_role("link", name="return.pdf", exact=True).click()
    assert api.post(f"/api/shares/{share_id}/revoke").status_code == 200
    api.close()

    page = signed_in_admin(fleet, browser)
    refused: list[str] = []
    page.on("console", lambda message: _policy_violation(message, refused))
    page.goto(f"{fleet.api_url}/#/vaults/{vault_id}")
    expect(page.get_by_role("row", name=re.compile("scan.pdf"))).to_contain_text("1.4 MB")

    page.goto(f"{fleet.api_url}/#/customers/{customer_id}")
    page.get_by_label("Email").fill("sophie.martin@example.org")
    page.get_by_role("button", name="Save the changes").click()
    expect(page.get_by_text("The customer is saved.")).to_be_visible()
    page.reload()
    timeline = page.get_by_role("table", name="Timeline")
    edited = "Ada Admin changed the customer “Sophie Martin”. Changed: email."
    expect(timeline).to_contain_text(edited)
    for line in (
        "Sam Staff created the customer “Sophie Martin”.",
        "Sam Staff created the vault “Tax 2025”.",
        "Sam Staff uploaded “return.pdf”.",
        "Sam Staff shared “Tax 2025” with Sophie Martin.",
        "The link went by email to sophie@example.org: Sent.",
        "The access code went by text message to +41791234567: Sent.",
        "Sophie Martin opened the link.",
        "Sophie Martin entered the access code.",
        "Sophie Martin downloaded “return.pdf”.",
        "Sam Staff uploaded “scan.pdf”.",
        "Sam Staff revoked the share of “Tax 2025” for Sophie Martin.",
    ):
        expect(timeline).to_contain_text(line)
    expect(timeline).not_to_contain_text("Nobody")
    expect(timeline).not_to_contain_text("Otto")
    expect(timeline).not_to_contain_text("#")  # things by their names, never by row ids
    first = timeline.get_by_role("row").nth(1)  # newest first, under the column headers
    expect(first).to_contain_text("Ada Admin changed the customer")

    page.get_by_role("link", name="This customer in the activity view").click()
    activity = page.get_by_role("table", name="Activity")
    expect(activity).to_contain_text("Sophie Martin downloaded “return.pdf”.")
    expect(activity).not_to_contain_text("Otto")
    page.get_by_role("button", name="Show everyone's activity").click()
    expect(activity).to_contain_text("Ada Admin signed in.")
    expect(activity).to_contain_text("Sam Staff created the customer “Otto Other”.")
    expect(activity).not_to_contain_text("created sessions")
    expect(activity).not_to_contain_text("Nobody")

    icon = page.locator('link[rel="icon"]').get_attribute("href")
    assert icon and icon.startswith("/assets/"), icon
    served = httpx.get(f"{fleet.api_url}{icon}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/svg+xml"
    assert refused == []


def _policy_violation(message: ConsoleMessage, refused: list[str]) -> None:
    if "Content Security Policy" in message.text:
        refused.append(message.text)
