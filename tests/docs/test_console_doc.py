"""docs/console.md: every screen of the console is shown there, with the screenshot the browser
tests took (docs/console/, refreshed by `make console-screenshots`); every image it shows exists,
none lies unused, and each stays small."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "console.md"
SHOTS = ROOT / "docs" / "console"
APP = ROOT / "ui" / "src" / "app.tsx"
MOST_BYTES = 150 * 1024

# What ui/src/app.tsx shows (a route, or a screen it draws without one) -> its screenshot.
SCREENSHOT_OF = {
    "<SignIn": "sign-in",
    "<Forgot": "forgot",
    "<SetPassword": "set-password",
    "<SecondFactor": "second-factor",
    "<Enrol": "enrol",
    "/": "home",
    "/account": "account",
    "/customers": "customers",
    "/customers/new": "new-customer",
    "/customers/:id": "customer",
    "/vaults/:id": "vault",
    "/shares/:id": "share",
    "/activity": "activity",
    "/users": "users",
    "/users/:id": "user",
    "/maintenance": "maintenance",
    "/status": "status",
}
# Screens that are a step of another one (the codes after enrolment), or another route's page.
ALSO_SHOWN = {"recovery-codes"}
SAME_AS = {"/sign-in": "/"}  # signed in already: home
PARTS = {"<ChangePassword"}  # a form on the account page


def screens_in_the_app() -> set[str]:
    source = APP.read_text()
    routes = set(re.findall(r'"(/[a-z0-9/-]*)":\s*\(\)\s*=>', source))
    # /^\/customers\/(\d+)$/ -> /customers/:id
    for pattern in re.findall(r"/\^((?:\\/[^/$]+)+)\$/", source):
        routes.add(pattern.replace("\\/", "/").replace(r"(\d+)", ":id"))
    # The screens before the pages: what app.tsx takes from pages/auth.tsx and draws itself.
    imported = re.search(r"import \{([^}]*)\} from \"./pages/auth\"", source)
    assert imported, "app.tsx no longer imports its sign-in screens from ./pages/auth"
    drawn = {f"<{name.strip()}" for name in imported.group(1).split(",") if name.strip()}
    return {SAME_AS.get(route, route) for route in routes} | (drawn - PARTS)


def images_in_the_doc() -> list[str]:
    return re.findall(r"!\[[^\]]*\]\(console/([^)]+)\)", DOC.read_text())


def test_the_app_is_read_as_expected() -> None:
    # A guard for the parser above: these are surely there.
    assert {"/customers", "/vaults/:id", "<SignIn", "<Enrol"} <= screens_in_the_app()


def test_every_screen_of_the_console_has_a_screenshot_in_the_doc() -> None:
    missing = screens_in_the_app() - SCREENSHOT_OF.keys()
    assert not missing, (
        f"{sorted(missing)}: a screen without a screenshot. Take one in its browser test "
        "(tests.support.console.screenshot), run `make console-screenshots`, describe it in "
        "docs/console.md and name it in SCREENSHOT_OF here"
    )
    shown = set(images_in_the_doc())
    for name in {*SCREENSHOT_OF.values(), *ALSO_SHOWN}:
        assert f"{name}.png" in shown, f"docs/console.md does not show console/{name}.png"


def test_every_image_the_doc_shows_exists_and_none_is_left_over() -> None:
    shown = images_in_the_doc()
    assert shown
    absent = [name for name in shown if not (SHOTS / name).is_file()]
    assert not absent, f"docs/console.md shows images that are not in docs/console/: {absent}"
    unused = {path.name for path in SHOTS.glob("*")} - set(shown)
    assert not unused, f"docs/console/ holds images the doc does not show: {sorted(unused)}"


def test_screenshots_are_small_pngs() -> None:
    for path in SHOTS.glob("*"):
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), f"{path.name} is not a PNG"
        assert len(data) <= MOST_BYTES, f"{path.name} is {len(data) // 1024} KB"
