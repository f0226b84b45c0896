"""The console in Debian's Chromium against the real fleet (API, NATS, workers with their local
sinks): the first admin signs in and enrols TOTP from the QR code's key, invites a colleague,
who opens the link from the email sink, chooses a password, enrols and signs in; a session that
ends returns to sign-in and then back to the same page; passwords change; people sign out."""

from __future__ import annotations

import sqlite3
import time

import pyotp
import pytest
from playwright.sync_api import Browser, expect

from tests.support.console import (
    ADMIN,
    create_admin,
    enrol,
    screenshot,
    set_password_link,
    sign_in,
)
from tests.support.fleet import Fleet

COLLEAGUE = ("claire@example.org", "Claire Colleague")
COLLEAGUE_PASSWORD = "a long and quiet river of tea"
NEW_PASSWORD = "the lighthouse keeper counts ships"


def next_code(totp: pyotp.TOTP) -> str:
    # Each code is accepted once: the next time step's code (the API allows one step ahead).
    return totp.at(time.time() + 30)


@pytest.mark.fleet
def test_first_admin_invites_a_colleague_who_signs_in(fleet: Fleet, browser: Browser) -> None:
    create_admin(fleet)
    problems: list[str] = []

    admin = browser.new_context().new_page()
    admin.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    admin.goto(f"{fleet.api_url}/")
    expect(admin.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(admin, "sign-in")
    sign_in(admin, ADMIN[0], "not the password")
    expect(admin.get_by_role("alert")).to_contain_text("Invalid")
    sign_in(admin, ADMIN[0], ADMIN[2])
    expect(admin.get_by_role("img", name="QR code for the authenticator app")).to_be_visible()
    screenshot(admin, "enrol")
    enrol(admin)
    recovery = admin.locator("ul.codes code").all_inner_texts()
    assert len(recovery) == 10
    screenshot(admin, "recovery-codes")
    admin.get_by_role("button", name="I have saved them, continue").click()
    expect(admin.get_by_role("heading", name="Welcome, Ada Admin")).to_be_visible()
    screenshot(admin, "home")

    admin.get_by_role("link", name="Users").click()
    expect(admin.get_by_role("cell", name=ADMIN[0])).to_be_visible()
    admin.get_by_label("Name").fill(COLLEAGUE[1])
    admin.get_by_label("Email").fill("not an email")
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_role("alert")).to_be_visible()
    admin.get_by_label("Email").fill(COLLEAGUE[0])
    admin.get_by_label("Role").select_option(label="Staff")
    admin.get_by_role("button", name="Send the invitation").click()
    invited = f"An invitation is on its way to {COLLEAGUE[0]}"
    expect(admin.get_by_role("status")).to_contain_text(invited)
    expect(admin.get_by_role("cell", name=COLLEAGUE[0])).to_be_visible()
    screenshot(admin, "users")

    # The colleague, in another browser, from the email the worker wrote.
    link = set_password_link(fleet, COLLEAGUE[0])
    colleague = browser.new_context().new_page()
    colleague.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    colleague.goto(link)
    expect(colleague.get_by_role("heading", name="Choose your password")).to_be_visible()
    screenshot(colleague, "set-password")
    colleague.get_by_label("New password", exact=True).fill(COLLEAGUE_PASSWORD)
    colleague.get_by_label("Repeat the new password").fill(COLLEAGUE_PASSWORD)
    colleague.get_by_role("button", name="Save the password").click()
    expect(colleague.get_by_role("status")).to_contain_text("Your password is saved")
    assert "token" not in colleague.url
    colleague.get_by_role("link", name="Go to sign in").click()
    sign_in(colleague, COLLEAGUE[0], COLLEAGUE_PASSWORD)
    totp = enrol(colleague)
    colleague.get_by_role("button", name="I have saved them, continue").click()
    expect(colleague.get_by_role("heading", name="Welcome, Claire Colleague")).to_be_visible()
    expect(colleague.get_by_role("link", name="Users")).to_have_count(0)  # not an admin

    # The colleague changes the password, signs out, and signs in with the new one.
    colleague.get_by_role("link", name="Your account").click()
    colleague.get_by_label("Current password").fill(COLLEAGUE_PASSWORD)
    colleague.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    colleague.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    colleague.get_by_role("button", name="Change the password").click()
    expect(colleague.get_by_role("status")).to_contain_text("Your password is changed")
    screenshot(colleague, "account")
    colleague.get_by_role("button", name="Sign out").click()
    expect(colleague.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(colleague, COLLEAGUE[0], NEW_PASSWORD)
    expect(colleague.get_by_role("heading", name="Second factor")).to_be_visible()
    screenshot(colleague, "second-factor")
    colleague.get_by_label("Code from the app").fill(next_code(totp))
    colleague.get_by_role("button", name="Continue").click()
    expect(colleague.get_by_role("heading", name="Welcome, Claire Colleague")).to_be_visible()

    # The admin's session ends (as after the idle timeout); the next click leads to sign-in,
    # a recovery code instead of the app, and back to the page the admin was on.
    with sqlite3.connect(fleet.database) as connection:
        connection.execute(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = ?)",
            (ADMIN[0],),
        )
    admin.get_by_role("link", name="Your account").click()
    admin.get_by_role("link", name="Users").click()
    expect(admin.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(admin.get_by_role("status")).to_contain_text("Your session has ended")
    sign_in(admin, ADMIN[0], ADMIN[2])
    admin.get_by_role("button", name="Use a recovery code instead").click()
    admin.get_by_label("Recovery code").fill(recovery[0])
    admin.get_by_role("button", name="Continue").click()
    expect(admin.get_by_role("heading", name="Users")).to_be_visible()
    assert admin.url.endswith("#/users")

    assert not [p for p in problems if "Content Security Policy" in p], problems
