"""The staff console (ui/) for tests: pnpm as the Makefile gets it, one build per test run."""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pyotp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.support import wait_for
from tests.support.fleet import Fleet
from tests.support.live_shares import staff_api_token
from tests.support.tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "ui"
SCREENSHOTS = ROOT / "docs" / "console"


def pnpm() -> list[str]:
    """pnpm if installed, else the version ui/package.json pins, from the npm registry."""
    found = shutil.which("pnpm")
    if found:
        return [found]
    npx = require_tool("npx")
    manager = json.loads((UI / "package.json").read_text())["packageManager"]
    return [npx, "--yes", manager]


def run_pnpm(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a pnpm command in ui/; the output is kept for the failure message."""
    require_tool("node")
    return subprocess.run(
        [*pnpm(), *args], cwd=UI, capture_output=True, text=True, timeout=600, check=False
    )


@cache
def installed() -> None:
    """ui/node_modules as the lockfile says (once per test run)."""
    done = run_pnpm("install", "--frozen-lockfile")
    assert done.returncode == 0, done.stdout + done.stderr


@cache
def built() -> Path:
    """ui/dist built from the sources of this checkout (once per test run)."""
    installed()
    done = run_pnpm("build")
    assert done.returncode == 0, done.stdout + done.stderr
    return UI / "dist"


ADMIN = ("ada@example.org", "Ada Admin", "correct horse battery staple 1")


def create_admin(fleet: Fleet, account: tuple[str, str, str] = ADMIN) -> None:
    """An admin, as the operations guide makes the first one (`vault03 users create-admin`)."""
    address, name, password = account
    subprocess.run(
        [
            sys.executable,
            "-m",
            "vault03_api.cli",
            "users",
            "create-admin",
            "--password-stdin",
            *("--email", address, "--name", name),
        ],
        env=fleet.env,
        input=password + "\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=120,
    )


def sign_in(page: Page, address: str, password: str) -> None:
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def enrol(page: Page) -> pyotp.TOTP:
    """First sign-in: the QR code is shown; its key goes into the 'app' and a code comes back."""
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for the authenticator app")).to_be_visible()
    totp = pyotp.TOTP(page.locator("code.secret").inner_text().strip())
    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    return totp


def signed_in(fleet: Fleet, browser: Browser, account: tuple[str, str, str]) -> Page:
    """A page where the account has signed in for the first time and enrolled TOTP."""
    address, name, password = account
    page = browser.new_context().new_page()
    page.goto(f"{fleet.api_url}/")
    sign_in(page, address, password)
    enrol(page)
    page.get_by_role("button", name="I have saved them, continue").click()
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()
    return page


def signed_in_admin(fleet: Fleet, browser: Browser) -> Page:
    """A page where the first admin has signed in and enrolled, on the home screen."""
    create_admin(fleet)
    return signed_in(fleet, browser, ADMIN)


MOBILE = "+41791234567"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/s/[A-Za-z0-9_-]+)")
CODE = re.compile(r"(\d{4} \d{4})")


def emails(fleet: Fleet) -> list[email.message.EmailMessage]:
    """What the email worker wrote into its sink, oldest first."""
    paths = sorted((fleet.outbox / "email").glob("*.eml"), key=lambda p: p.stat().st_mtime)
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in paths
    ]


def text_of(message: email.message.EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return str(body.get_content()) if body else ""


def share_link(fleet: Fleet) -> str | None:
    """The first share link in the email sink."""
    for message in emails(fleet):
        found = LINK.search(text_of(message))
        if found:
            return found.group(1)
    return None


def sms_codes(fleet: Fleet, to: str = MOBILE) -> list[str]:
    """The access codes the SMS worker wrote into its sink for `to`, oldest first."""
    path = fleet.outbox / "sms.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    found = [CODE.search(line["text"]) for line in lines if line["to"] == to]
    return [m.group(1) for m in found if m]


def screenshot(page: Page, name: str) -> None:
    """The page as it looks now, for docs/console.md. Each run takes it (the journeys fail if
    it cannot be taken); it replaces docs/console/<name>.png only with VAULT03_SCREENSHOTS=1
    (`make console-screenshots`), so an ordinary test run leaves the checkout as it was."""
    page.wait_for_load_state("networkidle")
    size = page.viewport_size
    page.set_viewport_size({"width": 1000, "height": 700})  # the console's width, no margins
    # A sign-in secret is never published, not even a test account's: QR codes, keys, codes.
    secrets = page.locator(".qr, code.secret, ul.codes")
    height = min(int(page.evaluate("document.documentElement.scrollHeight")), 2000)
    png = page.screenshot(
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1000, "height": height},  # a long list: its top
        animations="disabled",
        caret="hide",
        mask=[secrets],
        mask_color="#c9d0d9",
    )
    if size:
        page.set_viewport_size(size)
    if os.environ.get("VAULT03_SCREENSHOTS") == "1":
        # 128 colours: the console's few flat ones and their text stay sharp, at a third the size.
        small = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128)
        SCREENSHOTS.mkdir(exist_ok=True)
        small.save(SCREENSHOTS / f"{name}.png", optimize=True)


def staff_client(fleet: Fleet) -> httpx.Client:
    """A staff member's API client (a personal token), for what a test prepares beforehand."""
    token = staff_api_token(fleet.database)
    return httpx.Client(base_url=fleet.api_url, headers={"Authorization": f"Bearer {token}"})


def shared_vault(api: httpx.Client) -> dict[str, dict[str, Any]]:
    """Sophie Martin, her vault "Tax 2025" with return.pdf in it, and a share of it with her."""
    customer = api.post(
        "/api/customers",
        json={"name": "Sophie Martin", "email": "sophie@example.org", "mobile": "+41791234567"},
    ).json()
    vault = api.post(f"/api/customers/{customer['id']}/vaults", json={"name": "Tax 2025"}).json()
    stored = api.put(f"/api/vaults/{vault['id']}/files/return.pdf", content=b"%PDF-1")
    assert stored.status_code == 201, stored.text
    share = api.post(f"/api/vaults/{vault['id']}/shares", json={}).json()
    return {"customer": customer, "vault": vault, "share": share}


def set_password_link(fleet: Fleet, to: str) -> str:
    """A set-password link (invitation or reset) the email worker wrote into its sink for `to`."""

    def find() -> str | None:
        for path in (fleet.outbox / "email").glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to in str(message["To"]):
                body = message.get_body(preferencelist=("plain",))
                found = re.search(r"\S+/set-password#token=\S+", body.get_content() if body else "")
                if found:
                    return found.group(0)
        return None

    return wait_for(find, timeout=60, what=f"a set-password email to {to}")
