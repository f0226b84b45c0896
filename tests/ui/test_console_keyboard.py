"""The console by keyboard alone, in Debian's Chromium against the real fleet: sign in and enrol,
create a customer and a vault, send a file through the picker, delete one and share the vault,
with Tab, Shift+Tab, Enter, Space and Escape only. Every stop shows where the focus is, and the
question before a deletion or a revocation keeps the focus inside it and gives it back."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, FileChooser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support.console import ADMIN, create_admin
from tests.support.fleet import Fleet

# What the focused element looks like, read as a sighted keyboard user would see it.
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const name = el.getAttribute("aria-label") || el.textContent.trim() || el.id || el.tagName;
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return {name: name.slice(0, 40), ring};
}"""


def focused(target: Locator) -> bool:
    return bool(target.evaluate("el => el === document.activeElement"))


def tab_to(page: Page, target: Locator, *, back: bool = False, most: int = 60) -> None:
    """Press Tab (or Shift+Tab) until `target` has the focus; each stop on the way must show it."""
    visited: list[str] = []
    for _ in range(most):
        if focused(target):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
        seen = page.evaluate(FOCUS)
        if seen is None:
            continue  # past the last element: the browser's own controls, then round again
        visited.append(seen["name"])
        assert seen["ring"], f"no visible focus on {seen['name']!r} (after {visited})"
    raise AssertionError(f"never reached {target}; the focus went through {visited}")


def press_on(page: Page, target: Locator, key: str = "Enter") -> None:
    tab_to(page, target)
    page.keyboard.press(key)


def open_picker(page: Page, picker: Locator) -> FileChooser:
    """Space on the focused file input opens the browser's file chooser. Headless Chromium
    now and then lets the first press after a render go without one (one run in three once);
    a person would press again, and so does this, once."""
    for attempt in (1, 2):
        expect(picker).to_be_focused()
        try:
            with page.expect_file_chooser(timeout=5_000) as choosing:
                page.keyboard.press("Space")
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            continue
        return choosing.value
    raise AssertionError("unreachable")


def type_into(page: Page, field: Locator, text: str) -> None:
    tab_to(page, field)
    page.keyboard.type(text)


@pytest.mark.fleet
def test_daily_work_by_keyboard_alone(fleet: Fleet, browser: Browser, tmp_path: Path) -> None:
    create_admin(fleet)
    notes = tmp_path / "notes.txt"
    notes.write_text("Questions for the meeting\n")
    page = browser.new_context().new_page()
    page.goto(f"{fleet.api_url}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_focused()

    type_into(page, page.get_by_label("Email"), ADMIN[0])
    type_into(page, page.get_by_label("Password"), ADMIN[2])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_focused()
    totp = pyotp.TOTP(page.locator("code.secret").inner_text().strip())
    type_into(page, page.get_by_label("Code from the app"), totp.now())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_focused()
    press_on(page, page.get_by_role("button", name="I have saved them, continue"))
    expect(page.get_by_role("heading", name="Welcome, Ada Admin")).to_be_focused()

    # The skip link is the first stop and leads past the navigation.
    tab_to(page, page.get_by_role("link", name="Skip to the content"))
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    press_on(page, page.get_by_role("navigation").get_by_role("link", name="Customers"))
    expect(page.get_by_role("heading", name="Customers")).to_be_focused()
    press_on(page, page.get_by_role("link", name="New customer"))
    expect(page.get_by_role("heading", name="New customer")).to_be_focused()
    type_into(page, page.get_by_label("Name"), "Sophie Martin")
    type_into(page, page.get_by_label("Email"), "sophie@example.org")
    type_into(page, page.get_by_label("Mobile phone"), "+41 79 123 45 67")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Sophie Martin")).to_be_focused()

    type_into(page, page.get_by_label("Name of a new vault"), "Tax return 2025")
    page.keyboard.press("Enter")
    press_on(page, page.get_by_role("link", name="Tax return 2025"))
    expect(page.get_by_role("heading", name="Tax return 2025")).to_be_focused()

    # The picker opens from the keyboard (Space on its button), as it does for a mouse.
    picker = page.get_by_label("Choose files")
    tab_to(page, picker)
    open_picker(page, picker).set_files([notes])
    sending = page.get_by_role("list", name="Files being sent")
    expect(sending.get_by_role("status")).to_have_text("Stored")
    delete = page.get_by_role("button", name="Delete notes.txt")
    expect(delete).to_be_visible()

    # The question before a deletion: it takes the focus, keeps it, and Escape gives it back.
    press_on(page, delete)
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete notes.txt? It cannot be brought back.")
    cancel = dialog.get_by_role("button", name="Go back")
    confirm = dialog.get_by_role("button", name="Delete", exact=True)
    expect(cancel).to_be_focused()
    page.keyboard.press("Tab")
    expect(confirm).to_be_focused()
    page.keyboard.press("Tab")
    expect(cancel).to_be_focused()  # round inside the dialog, never behind it
    page.keyboard.press("Shift+Tab")
    expect(confirm).to_be_focused()
    assert page.evaluate(FOCUS)["ring"]
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(delete).to_be_focused()
    expect(page.get_by_role("row", name="notes.txt")).to_be_visible()
    page.keyboard.press("Enter")
    expect(cancel).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_text("No files in this vault yet.")).to_be_visible()
    # The deleted row took the focused button with it: the focus goes to the page's heading.
    expect(page.get_by_role("heading", name="Tax return 2025")).to_be_focused()

    # Share the vault with Sophie (the form's defaults), then revoke it.
    press_on(page, page.get_by_role("button", name="Share and send the link"))
    expect(page.get_by_role("heading", name="Share with Sophie Martin")).to_be_focused()
    revoke = page.get_by_role("button", name="Revoke the share")
    press_on(page, revoke, "Space")
    expect(dialog).to_contain_text("Revoke this share?")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    expect(page.get_by_role("status").first).to_contain_text("The share is revoked")
    expect(revoke).to_have_count(0)
    expect(page.get_by_role("heading", name="Share with Sophie Martin")).to_be_focused()
