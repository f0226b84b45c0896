"""Every page of the console, checked by axe-core in Debian's Chromium against the real fleet:
no serious or critical violation, at desktop width and at 390 px (a phone)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.console import (
    ADMIN,
    UI,
    create_admin,
    enrol,
    screenshot,
    shared_vault,
    sign_in,
    staff_client,
)
from tests.support.fleet import Fleet

AXE = UI / "node_modules" / "axe-core" / "axe.min.js"


def violations(page: Page) -> list[str]:
    """Serious and critical axe-core findings on the page as it is now."""
    page.add_script_tag(path=AXE)
    result = page.evaluate("async () => JSON.stringify((await axe.run()).violations)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in json.loads(result)
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.fleet
@pytest.mark.parametrize("width", [1280, 390])
def test_no_serious_accessibility_violation_on_any_page(
    fleet: Fleet, browser: Browser, width: int
) -> None:
    with staff_client(fleet) as api:
        made = shared_vault(api)
    customer, vault, share = made["customer"], made["vault"], made["share"]
    create_admin(fleet)
    # A scheduled window and a backup, so the admin pages show their tables and lists.
    start = (datetime.now(UTC) + timedelta(days=3)).isoformat(timespec="minutes")
    fleet.vault03(
        "maintenance", "schedule", "--start", start, "--duration", "1h", "--message", "Upgrade"
    )
    fleet.vault03("backup", "--db-only")
    with sqlite3.connect(fleet.database) as connection:
        (admin_id,) = connection.execute(
            "SELECT id FROM users WHERE email = ?", (ADMIN[0],)
        ).fetchone()
    # axe is injected as a script of its own: only this test's browser lets it past the CSP.
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900})
    page = context.new_page()
    found: dict[str, list[str]] = {}
    page.goto(f"{fleet.api_url}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    found["sign-in"] = violations(page)
    page.goto(f"{fleet.api_url}/#/forgot")
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    if width == 1280:
        screenshot(page, "forgot")
    found["forgot"] = violations(page)
    page.goto(f"{fleet.api_url}/set-password#token=x")
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    found["set-password"] = violations(page)
    page.goto(f"{fleet.api_url}/#/sign-in")
    sign_in(page, ADMIN[0], ADMIN[2])
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    found["enrol"] = violations(page)
    enrol(page)
    found["recovery codes"] = violations(page)
    page.get_by_role("button", name="I have saved them, continue").click()
    pages = {
        "home": ("/", "Welcome, Ada Admin"),
        "customers": ("/customers", "Customers"),
        "new customer": ("/customers/new", "New customer"),
        "customer": (f"/customers/{customer['id']}", "Sophie Martin"),
        "vault": (f"/vaults/{vault['id']}", "Tax 2025"),
        "share": (f"/shares/{share['id']}", "Share with Sophie Martin"),
        "activity": ("/activity", "Activity"),
        "users": ("/users", "Users"),
        "user": (f"/users/{admin_id}", ADMIN[1]),
        "maintenance": ("/maintenance", "Maintenance"),
        "status": ("/status", "System status"),
        "account": ("/account", "Your account"),
    }
    for name, (route, heading) in pages.items():
        page.goto(f"{fleet.api_url}/#{route}")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        page.wait_for_load_state("networkidle")
        found[name] = violations(page)
        # Usable at a phone's width: nothing pushes the page sideways.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than the window"
    context.close()
    assert not {name: problems for name, problems in found.items() if problems}
