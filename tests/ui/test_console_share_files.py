"""Sharing chosen documents from the console, in Debian's Chromium against the real fleet:
staff tick two of three documents (none ticked is refused in words) and the share's page lists
the chosen ones."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.support.console import signed_in_admin
from tests.support.fleet import Fleet
from tests.support.live_shares import staff_api_token


@pytest.mark.fleet
def test_staff_share_chosen_documents(fleet: Fleet, browser: Browser) -> None:
    token = staff_api_token(fleet.database)
    with httpx.Client(base_url=fleet.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        customer = api.post(
            "/api/customers", json={"name": "Sophie Martin", "email": "sophie@example.org"}
        ).json()
        vault_id = api.post(
            f"/api/customers/{customer['id']}/vaults", json={"name": "Tax 2025"}
        ).json()["id"]
        for name in ("return.pdf", "payslip.pdf", "private.pdf"):
            stored = api.put(f"/api/vaults/{vault_id}/files/{name}", content=b"%PDF-1")
            assert stored.status_code == 201, stored.text
    page = signed_in_admin(fleet, browser)

    page.goto(f"{fleet.api_url}/#/vaults/{vault_id}")
    page.get_by_label("Only the documents chosen here").check()
    # None ticked: the console says so before asking the API.
    page.get_by_role("button", name="Share and send the link").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one document")
    documents = page.get_by_role("group", name="Documents")
    documents.get_by_label("return.pdf").check()
    documents.get_by_label("payslip.pdf").check()
    page.get_by_role("button", name="Share and send the link").click()

    expect(page.get_by_role("heading", name="Share with Sophie Martin")).to_be_visible()
    listed = page.locator("dt", has_text="Documents").locator("xpath=following-sibling::dd")
    expect(listed.get_by_role("listitem")).to_have_text(["payslip.pdf", "return.pdf"])
    share_id = int(page.url.rsplit("/", 1)[1])
    with httpx.Client(base_url=fleet.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        share = api.get(f"/api/shares/{share_id}").json()
    assert share["whole_vault"] is False
    assert sorted(f["name"] for f in share["files"]) == ["payslip.pdf", "return.pdf"]
