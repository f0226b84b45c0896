"""Customers in the console, in Debian's Chromium against the real fleet: a search over pages
the server cuts, a new customer with an error next to its field in words, the warning before a
likely duplicate, and an edit."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.support.console import screenshot, signed_in_admin
from tests.support.fleet import Fleet
from tests.support.live_shares import staff_api_token


@pytest.mark.fleet
def test_find_create_and_edit_customers(fleet: Fleet, browser: Browser) -> None:
    token = staff_api_token(fleet.database)
    with httpx.Client(base_url=fleet.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        for number in range(30):
            created = api.post(
                "/api/customers",
                json={
                    "name": f"Client {number:02d}",
                    "email": f"client{number:02d}@example.org",
                    "preferred_channel": "email",
                },
            )
            assert created.status_code == 201, created.text
    page = signed_in_admin(fleet, browser)

    page.get_by_role("link", name="Customers").click()
    expect(page.get_by_text("30 customers, page 1 of 2.")).to_be_visible()
    expect(page.get_by_role("row")).to_have_count(26)  # the header and 25 customers
    screenshot(page, "customers")
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("30 customers, page 2 of 2.")).to_be_visible()
    expect(page.get_by_role("row")).to_have_count(6)
    page.get_by_label("Search by name, email or phone number").fill("client07")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("link", name="Client 07")).to_be_visible()
    expect(page.get_by_text("1 customer, page 1 of 1.")).to_be_visible()
    expect(page.get_by_role("row")).to_have_count(2)
    page.get_by_label("Search by name, email or phone number").fill("nobody at all")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("No customer matches “nobody at all”.")).to_be_visible()

    page.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="New customer").click()
    # The list's search ("Search by name, ...") is a "Name" too until the form has replaced it.
    expect(page.get_by_role("heading", name="New customer")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Sophie Martin")
    page.get_by_label("Email").fill("sophie.martin@example.org")
    page.get_by_label("Mobile phone").fill("12")
    page.get_by_role("button", name="Create the customer").click()
    mobile = page.get_by_label("Mobile phone")
    expect(mobile).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-mobile-error")).to_contain_text("phone number")
    mobile.fill("+41 79 123 45 67")
    language = page.get_by_label("Language of messages and portal pages")
    expect(language).to_have_value("")  # the office's default unless chosen
    language.select_option(label="Français (French)")
    page.get_by_role("button", name="Create the customer").click()
    expect(page.get_by_role("heading", name="Sophie Martin")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="The customer is saved")).to_be_visible()

    # The same email again: a warning names the existing customer before anything is saved.
    page.goto(f"{fleet.api_url}/#/customers/new")
    page.get_by_label("Name").fill("S. Martin")
    page.get_by_label("Email").fill("sophie.martin@example.org")
    page.get_by_role("button", name="Create the customer").click()
    expect(page.get_by_role("alert")).to_contain_text("already exists")
    expect(page.get_by_role("alert").get_by_role("link", name="Sophie Martin")).to_be_visible()
    page.get_by_role("alert").get_by_role("link", name="Sophie Martin").click()

    expect(page.get_by_role("heading", name="Sophie Martin")).to_be_visible()
    page.get_by_label("City").fill("Lausanne")
    page.get_by_role("button", name="Save the changes").click()
    expect(page.get_by_role("status").filter(has_text="The customer is saved")).to_be_visible()
    page.reload()
    expect(page.get_by_label("City")).to_have_value("Lausanne")
    expect(page.get_by_label("Language of messages and portal pages")).to_have_value("fr")
    with httpx.Client(base_url=fleet.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        found = api.get("/api/customers", params={"q": "sophie"}).json()["items"]
    assert [(c["name"], c["mobile"], c["city"], c["language"]) for c in found] == [
        ("Sophie Martin", "+41791234567", "Lausanne", "fr")
    ]
