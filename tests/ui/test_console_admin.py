"""The admin pages in Debian's Chromium against the real fleet: an admin changes a colleague's
role (who then no longer sees the admin pages), resets their two-factor sign-in, forces them a
new password (the link is in the email sink), disables and enables the account; announces
maintenance (the 24 h notice refused in words), cancels it, switches maintenance on and off;
reads the system status (checks, the queue, a dead letter, the backup that just ran); and
finally forces a new password for everyone, which signs the admin out too."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.support.console import (
    ADMIN,
    create_admin,
    enrol,
    screenshot,
    set_password_link,
    sign_in,
    signed_in,
    staff_client,
)
from tests.support.fleet import Fleet

COLLEAGUE = ("sam@example.org", "Sam Colleague", "a long and quiet river of tea")
ADMIN_LINKS = ("Users", "Maintenance", "System status")


def confirm(page: Page, yes: str) -> None:
    """Answer the console's question before an action with its button of the same name."""
    page.get_by_role("dialog").get_by_role("button", name=yes).click()


def status_says(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def local_time(hours_ahead: float) -> str:
    """A datetime-local value: the browser runs on this machine, in its time zone."""
    return (datetime.now() + timedelta(hours=hours_ahead)).strftime("%Y-%m-%dT%H:%M")


def open_user(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def detail(page: Page, term: str) -> Locator:
    """The value of a term of the page's details (a <dl>)."""
    term_of = page.get_by_text(term, exact=True)
    return page.locator(".details div").filter(has=term_of).locator("dd")


def manage_a_colleague(fleet: Fleet, admin: Page, colleague: Page) -> None:
    nav = colleague.get_by_role("navigation", name="Main")
    for link in ADMIN_LINKS:  # an admin to begin with
        expect(nav.get_by_role("link", name=link)).to_be_visible()

    open_user(admin, COLLEAGUE[1])
    admin.get_by_label("Role", exact=True).select_option(label="Staff")
    admin.get_by_role("button", name="Save the role").click()
    status_says(admin, "Sam Colleague is now: Staff.")
    expect(detail(admin, "Role")).to_have_text("Staff")
    # What a staff member may not do is not offered: no links, and the pages are not there.
    colleague.reload()
    expect(colleague.get_by_role("heading", name="Welcome, Sam Colleague")).to_be_visible()
    for link in ADMIN_LINKS:
        expect(nav.get_by_role("link", name=link)).to_have_count(0)
    for route in ("/users", "/users/1", "/maintenance", "/status"):
        colleague.goto(f"{fleet.api_url}/#{route}")
        colleague.reload()  # drawn afresh: not the previous route's "Page not found"
        expect(colleague.get_by_role("heading", name="Page not found")).to_be_visible()

    # The server keeps one admin, and says so in words.
    open_user(admin, ADMIN[1])
    admin.get_by_label("Role", exact=True).select_option(label="Auditor")
    admin.get_by_role("button", name="Save the role").click()
    expect(admin.get_by_role("alert")).to_contain_text(
        "This is the last active admin; appoint another one first."
    )

    open_user(admin, COLLEAGUE[1])
    reset = admin.get_by_role("button", name="Reset two-factor sign-in")
    reset.click()
    admin.get_by_role("dialog").get_by_role("button", name="Go back").click()
    expect(detail(admin, "Two-factor sign-in")).to_have_text("On")  # dismissed: nothing changed
    reset.click()
    confirm(admin, "Reset two-factor sign-in")
    status_says(admin, "Two-factor sign-in is reset")
    expect(reset).to_have_count(0)
    expect(detail(admin, "Two-factor sign-in")).to_have_text("Not set up")
    # The colleague's session has ended; the next sign-in sets up the app again.
    colleague.goto(f"{fleet.api_url}/#/customers")
    expect(colleague.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(colleague, COLLEAGUE[0], COLLEAGUE[2])
    enrol(colleague)

    admin.get_by_role("button", name="Force a new password").click()
    confirm(admin, "Force a new password")
    status_says(admin, f"a link to choose a new one is on its way to {COLLEAGUE[0]}")
    expect(detail(admin, "Password")).to_have_text("Must choose a new one")
    assert "/set-password#token=" in set_password_link(fleet, COLLEAGUE[0])
    colleague.goto(f"{fleet.api_url}/#/sign-in")
    colleague.reload()
    sign_in(colleague, COLLEAGUE[0], COLLEAGUE[2])
    expect(colleague.get_by_role("alert")).to_contain_text("Invalid")

    admin.get_by_role("button", name="Disable the account").click()
    confirm(admin, "Disable the account")
    status_says(admin, "The account of Sam Colleague is disabled.")
    expect(detail(admin, "State")).to_have_text("Disabled")
    expect(admin.get_by_role("button", name="Force a new password")).to_have_count(0)
    admin.get_by_role("button", name="Enable the account").click()
    status_says(admin, "The account of Sam Colleague is enabled again.")
    expect(detail(admin, "State")).not_to_have_text("Disabled")
    screenshot(admin, "user")
    # The activity view tells it in words.
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Activity").click()
    activity = admin.get_by_role("table", name="Activity")
    expect(activity).to_contain_text(
        "Ada Admin reset two-factor sign-in for the user “Sam Colleague”."
    )
    expect(activity).to_contain_text(
        "Ada Admin forced a new password for the user “Sam Colleague”."
    )


def run_maintenance(fleet: Fleet, admin: Page) -> None:
    admin.get_by_role("link", name="Maintenance").click()
    expect(admin.get_by_role("heading", name="Maintenance", exact=True)).to_be_visible()
    now = admin.get_by_role("region", name="Now")
    expect(now).to_contain_text("The service is running")
    schedule = admin.get_by_role("region", name="Schedule a window")
    schedule.get_by_label("Starts").fill(local_time(2))
    schedule.get_by_label("What is done, and why").fill("Database upgrade")
    schedule.get_by_role("button", name="Announce the window").click()
    expect(schedule.get_by_role("alert")).to_contain_text(
        "Users must be notified at least 24 hours ahead"
    )
    schedule.get_by_label("Starts").fill(local_time(48))
    schedule.get_by_role("button", name="Announce the window").click()
    status_says(admin, "Maintenance is scheduled for")
    status_says(admin, "Emails on their way")
    scheduled = admin.get_by_role("table", name="Scheduled windows")
    expect(scheduled).to_contain_text("Database upgrade")
    screenshot(admin, "maintenance")

    scheduled.get_by_role("button", name="Cancel the window of").click()
    confirm(admin, "Cancel the window of")
    status_says(admin, "is cancelled")
    expect(admin.get_by_text("No maintenance is scheduled.")).to_be_visible()

    now.get_by_label("What is done, and why").fill("Disk replacement")
    now.get_by_label("Duration in minutes").fill("30")
    now.get_by_role("button", name="Switch maintenance on now").click()
    confirm(admin, "Switch maintenance on now")
    expect(now).to_contain_text("Maintenance is on since")
    expect(now).to_contain_text("Disk replacement")
    assert fleet.health().json()["maintenance"]["message"] == "Disk replacement"
    with staff_client(fleet) as api:
        assert api.get("/api/customers").status_code == 503
    now.get_by_role("button", name="Switch maintenance off").click()
    status_says(admin, "Maintenance is off")
    expect(now).to_contain_text("The service is running")
    assert fleet.health().json()["maintenance"] is None


def read_the_status(fleet: Fleet, admin: Page) -> None:
    with sqlite3.connect(fleet.database) as connection:
        connection.execute(
            "UPDATE deliveries SET status = 'dead', attempts = 5, last_error = 'mailbox full'"
            " WHERE kind = 'password_reset' AND recipient = ?",
            (COLLEAGUE[0],),
        )
    admin.get_by_role("link", name="System status").click()
    expect(admin.get_by_role("heading", name="System status")).to_be_visible()
    checks = admin.get_by_role("table", name="Health checks")
    expect(checks.get_by_role("row").filter(has_text="Database version")).to_contain_text("OK")
    expect(checks.get_by_role("row").filter(has_text="Message queue (NATS)")).to_contain_text("OK")
    dead = admin.get_by_role("table", name="Messages given up")
    given_up = dead.get_by_role("row").filter(has_text=COLLEAGUE[0])
    expect(given_up).to_contain_text(f"password reset by Email to {COLLEAGUE[0]}")
    expect(given_up).to_contain_text("After 5 attempts: mailbox full")
    expect(detail(admin, "Given up")).to_have_text("1")
    expect(detail(admin, "Sent")).not_to_have_text("0")
    backups = admin.get_by_role("region", name="Backups")
    expect(backups).to_contain_text("No backup has succeeded yet.")
    fleet.vault03("backup", "--db-only")
    admin.get_by_role("button", name="Check again").click()
    expect(backups).to_contain_text("Local backup: last succeeded")
    expect(backups).not_to_contain_text("Older than")
    screenshot(admin, "status")


@pytest.mark.fleet
def test_admin_manages_users_maintenance_and_reads_the_status(
    fleet: Fleet, browser: Browser
) -> None:
    create_admin(fleet)
    create_admin(fleet, COLLEAGUE)
    admin = signed_in(fleet, browser, ADMIN)
    colleague = signed_in(fleet, browser, COLLEAGUE)

    manage_a_colleague(fleet, admin, colleague)
    run_maintenance(fleet, admin)
    read_the_status(fleet, admin)

    # The guide's incident step: everyone, this admin too, chooses a new password.
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    admin.get_by_role("button", name="Force a new password for everyone").click()
    confirm(admin, "Force a new password for everyone")
    expect(admin.get_by_role("heading", name="Sign in")).to_be_visible()
    assert "/set-password#token=" in set_password_link(fleet, ADMIN[0])
    sign_in(admin, ADMIN[0], ADMIN[2])
    expect(admin.get_by_role("alert")).to_contain_text("Invalid")
