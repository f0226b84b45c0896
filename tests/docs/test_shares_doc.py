"""docs/shares.md: what a French and a German customer see and receive is shown there, from
the screenshots tests/api/portal/test_languages_browser.py took (docs/img/i18n/): every page and
every message a share's recipient can receive, in both languages; every image it shows exists,
none lies unused, and each stays small."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "shares.md"
SHOTS = ROOT / "docs" / "img" / "i18n"
MOST_BYTES = 120 * 1024
# The portal's pages and each message to a recipient that is shown as a picture (the SMS are
# quoted as text).
SHOWN = [
    "portal-code",
    "portal-files",
    "email-link",
    "email-request",
    "email-code",
    "email-reminder",
    "letter",
]
LANGUAGES = ["fr", "de"]


def images() -> set[str]:
    return set(re.findall(r"!\[[^\]]*\]\(img/i18n/([^)]+)\)", DOC.read_text(encoding="utf-8")))


def test_every_page_and_message_is_shown_in_each_language() -> None:
    wanted = {f"{name}-{language}.png" for name in SHOWN for language in LANGUAGES}
    assert wanted - images() == set()


def test_each_image_shown_exists_is_small_and_none_lies_unused() -> None:
    shown = images()
    kept = {path.name for path in SHOTS.glob("*.png")}
    assert shown - kept == set(), "shown but missing"
    assert kept - shown == set(), "kept but not shown"
    for name in kept:
        assert (SHOTS / name).stat().st_size <= MOST_BYTES, name


def test_the_sms_are_quoted_in_each_language() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "votre code d'accès" in text and "pour rappel" in text
    assert "Ihr Zugangscode" in text and "Zur Erinnerung" in text
