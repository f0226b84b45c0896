"""An auditor in the console, in Debian's Chromium against the real fleet: the activity view
tells what happened in words, filters it and exports it as CSV, and nothing that would change
data is offered (the server refuses it anyway)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.support.console import create_admin, screenshot, shared_vault, signed_in, staff_client
from tests.support.fleet import Fleet

AUDITOR = ("audrey@example.org", "Audrey Auditor", "numbers never sleep at night")


@pytest.mark.fleet
def test_auditor_reads_activity_exports_csv_and_changes_nothing(
    fleet: Fleet, browser: Browser
) -> None:
    with staff_client(fleet) as api:
        made = shared_vault(api)
        share = made["share"]
        assert api.post(f"/api/shares/{share['id']}/revoke").status_code == 200
        file_id = api.get(f"/api/vaults/{made['vault']['id']}/files").json()[0]["id"]
    create_admin(fleet, AUDITOR)
    with sqlite3.connect(fleet.database) as connection:
        connection.execute("UPDATE users SET role = 'auditor' WHERE email = ?", (AUDITOR[0],))
    page = signed_in(fleet, browser, AUDITOR)
    nav = page.get_by_role("navigation", name="Main")
    for admin_page in ("Users", "Maintenance", "System status"):
        expect(nav.get_by_role("link", name=admin_page)).to_have_count(0)

    nav.get_by_role("link", name="Activity").click()
    activity = page.get_by_role("table", name="Activity")
    expect(activity).to_contain_text("Sam Staff created the customer “Sophie Martin”.")
    expect(activity).to_contain_text("created the vault “Tax 2025”")
    expect(activity).to_contain_text("Sam Staff revoked the share of “Tax 2025” for Sophie Martin.")
    screenshot(page, "activity")
    page.get_by_label("Kind of thing").select_option(label="customer")
    page.get_by_role("button", name="Filter").click()
    expect(activity.get_by_role("row").filter(has_text="vault")).to_have_count(0)
    expect(activity).to_contain_text("“Sophie Martin”")
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Export these entries (CSV)").click()
    exported = Path(waiting.value.path()).read_text()
    assert "customers" in exported and "vaults" not in exported

    nav.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Sophie Martin").click()
    expect(page.get_by_role("heading", name="Sophie Martin")).to_be_visible()
    expect(page.get_by_role("link", name="New customer")).to_have_count(0)
    expect(page.get_by_role("button", name="Save the changes")).to_have_count(0)
    expect(page.get_by_role("button", name="Create the vault")).to_have_count(0)
    page.get_by_role("link", name="Tax 2025").click()
    expect(page.get_by_role("link", name="return.pdf")).to_be_visible()
    expect(page.get_by_label("Choose files")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete return.pdf")).to_have_count(0)
    expect(page.get_by_role("button", name="Share and send the link")).to_have_count(0)
    page.get_by_role("link", name="Share with Sophie Martin").click()
    expect(page.get_by_text("Revoked")).to_be_visible()
    expect(page.get_by_role("button", name="Send a new code")).to_have_count(0)
    for route in ("/customers/new", "/users", "/maintenance", "/status"):
        page.goto(f"{fleet.api_url}/#{route}")
        page.reload()  # drawn afresh: not the previous route's "Page not found"
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()

    # The server is the authority: the auditor's own session is refused a change all the same.
    me = page.request.get(f"{fleet.api_url}/api/auth/me").json()
    writes = {"X-CSRF-Token": me["csrf_token"]}
    created = page.request.post(
        f"{fleet.api_url}/api/customers",
        headers=writes,
        data={"name": "Eve Example", "email": "eve@example.org"},
    )
    assert created.status == 403, created.text()
    deleted = page.request.delete(f"{fleet.api_url}/api/files/{file_id}", headers=writes)
    assert deleted.status == 403, deleted.text()
    # Nothing changed (read with the auditor's session, which may read everything).
    assert page.request.get(f"{fleet.api_url}/api/customers").json()["total"] == 1
    files = page.request.get(f"{fleet.api_url}/api/vaults/{made['vault']['id']}/files").json()
    assert [f["name"] for f in files] == ["return.pdf"]
