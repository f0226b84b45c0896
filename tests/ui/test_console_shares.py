"""Shares in the console, in Debian's Chromium against the real fleet: staff share a vault with
its customer (code by SMS), watch both messages reach the sinks, the customer opens the link
from the email with the code from the SMS, staff read it in the access log and its CSV, send a
new code, extend, and revoke; the link then stops working."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.support import wait_for
from tests.support.console import MOBILE, share_link, signed_in_admin, sms_codes
from tests.support.fleet import Fleet
from tests.support.live_shares import staff_api_token


@pytest.mark.fleet
def test_share_follow_and_revoke(fleet: Fleet, browser: Browser, tmp_path: Path) -> None:
    token = staff_api_token(fleet.database)
    with httpx.Client(base_url=fleet.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        customer = api.post(
            "/api/customers",
            json={"name": "Sophie Martin", "email": "sophie@example.org", "mobile": MOBILE},
        ).json()
        vault = api.post(f"/api/customers/{customer['id']}/vaults", json={"name": "Tax 2025"})
        stored = api.put(f"/api/vaults/{vault.json()['id']}/files/return.pdf", content=b"%PDF-1")
        assert stored.status_code == 201, stored.text
    page = signed_in_admin(fleet, browser)

    page.goto(f"{fleet.api_url}/#/vaults/{vault.json()['id']}")
    expect(page.get_by_text("This vault is not shared.")).to_be_visible()
    page.get_by_label("Access code goes by").select_option(label="Text message (SMS)")
    page.get_by_label("Send files back").check()
    page.get_by_label("Note for the recipient").fill("Please sign page 3.")
    page.get_by_role("button", name="Share and send the link").click()
    expect(page.get_by_role("heading", name="Share with Sophie Martin")).to_be_visible()
    # Both messages go out through the workers; the page follows their status by itself.
    messages = page.get_by_role("table").first
    expect(messages.get_by_role("row", name="The link (email)")).to_contain_text(
        "Sent", timeout=60_000
    )
    expect(messages.get_by_role("row", name="The access code")).to_contain_text(
        "Sent", timeout=60_000
    )
    # Each message says how it travels: the link by email, not by "a second email".
    expect(messages.get_by_role("columnheader", name="Sent by")).to_be_visible()
    expect(
        messages.get_by_role("row", name="The link (email)").get_by_role("cell").first
    ).to_have_text("Email")
    expect(
        messages.get_by_role("row", name="The access code").get_by_role("cell").first
    ).to_have_text("Text message (SMS)")
    expect(page.get_by_text("Nobody has opened the link yet.")).to_be_visible()

    link = wait_for(lambda: share_link(fleet), timeout=60, what="the share link email")
    code = wait_for(lambda: sms_codes(fleet), timeout=60, what="the access code SMS")[0]
    recipient = browser.new_context(java_script_enabled=False).new_page()
    recipient.goto(link)
    recipient.get_by_label("Access code").fill(code)
    recipient.get_by_role("button", name="Open the documents").click()
    expect(recipient.get_by_role("heading", name="Tax 2025")).to_be_visible()

    page.reload()
    log = page.get_by_role("table", name="Access log")
    expect(log.get_by_role("row").filter(has_text="Entered the code")).to_contain_text("OK")
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the access log (CSV)").click()
    assert "code" in Path(waiting.value.path()).read_text()

    page.get_by_role("button", name="Send a new code").click()
    expect(page.get_by_role("status").first).to_contain_text("A new code is on its way")
    new_code = page.locator("code.secret").inner_text()
    assert re.fullmatch(r"\d{4} ?\d{4}", new_code) and new_code != code
    wait_for(lambda: len(sms_codes(fleet)) == 2, timeout=60, what="the new code by SMS")

    too_far = date.today() + timedelta(days=200)
    page.get_by_label("Keep open until").fill(too_far.isoformat())
    page.get_by_role("button", name="Extend").click()
    expect(page.get_by_role("alert")).to_contain_text("at most 90 days")
    later = date.today() + timedelta(days=60)
    page.get_by_label("Keep open until").fill(later.isoformat())
    page.get_by_role("button", name="Extend").click()
    expect(page.get_by_role("status").first).to_contain_text("The share is extended")
    with httpx.Client(base_url=fleet.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        share = api.get(f"/api/vaults/{vault.json()['id']}/shares").json()[0]
    # The end of that day where the browser is, kept in UTC: that day or the next.
    days = {later.isoformat(), (later + timedelta(days=1)).isoformat()}
    assert share["expires_at"][:10] in days

    page.get_by_role("button", name="Revoke the share").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke the share").click()
    expect(page.get_by_role("status").first).to_contain_text("The share is revoked")
    expect(page.get_by_role("button", name="Revoke the share")).to_have_count(0)
    assert recipient.goto(link).status in (403, 404, 410)
