"""A French and a German customer in a real browser (Debian's Chromium through Playwright):
their share's portal pages, in their language, from a running API; and every message a share's
recipient can receive — the link email, the file-request email, the code by email, the
reminder email (HTML, as a mail client shows it), the code and reminder SMS, and the code
letter (the PDF, drawn by pdftoppm) — rendered by the real workers.

With VAULT03_SCREENSHOTS=<dir> the pages and messages are kept there as PNG files: that is
how docs/img/i18n/ (shown in docs/shares.md) is made."""

from __future__ import annotations

import io
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.support import NatsServer
from tests.support.api_process import ApiProcess
from tests.support.identity import make_settings
from tests.support.live_shares import share_over_http, staff_api_token
from tests.support.outbox import last_sent
from tests.support.tools import CHROMIUM_FLAGS, require_tool
from vault03_api import clock
from vault03_api.db import create_db_engine
from vault03_api.shares.reminders import send_due_reminders
from vault03_common.events import DeliveryRequested, PostalPayload
from vault03_email.render import render_email
from vault03_email.settings import EmailSettings
from vault03_postal.letter import render_letter
from vault03_postal.settings import PostalSettings

OFFICE = {
    "VAULT03_API_OFFICE_NAME": "Cabinet Dupont & Associés",
    "VAULT03_API_OFFICE_EMAIL": "contact@cabinet-dupont.example",
    "VAULT03_API_OFFICE_PHONE": "+33 4 78 00 00 00",
    "VAULT03_API_OFFICE_ADDRESS": '["8 quai Saint-Vincent", "69001 Lyon"]',
    "VAULT03_API_TIME_ZONE": "Europe/Paris",
}
CUSTOMER = {
    "fr": {"name": "Hélène Dubois", "email": "helene@example.org", "city": "Lyon"},
    "de": {"name": "Jürgen Weber", "email": "juergen@example.org", "city": "München"},
}
NOTE = {
    "fr": "Merci de signer le bilan et de nous le renvoyer.",
    "de": "Bitte unterschreiben Sie die Bilanz und senden Sie sie uns zurück.",
}
# What each language's pages say, and English words that must not be left on them.
SAYS = {
    "fr": {
        "code": "Saisissez votre code d'accès",
        "label": "Code d'accès",
        "open": "Ouvrir les documents",
        "wrong": "Ce code n'est pas correct",
        "for_you": "Documents à votre intention",
        "send": "Envoyer les documents",
    },
    "de": {
        "code": "Geben Sie Ihren Zugangscode ein",
        "label": "Zugangscode",
        "open": "Dokumente öffnen",
        "wrong": "Dieser Code ist nicht richtig",
        "for_you": "Dokumente für Sie",
        "send": "Dokumente senden",
    },
}
ENGLISH = re.compile(
    r"\b(the|your|you|and|with|this|please|until|shared|been|have|will|here|never|enter|"
    r"access|download|send|sent|close|questions|size|added|left|back|wrong|preview)\b",
    re.IGNORECASE,
)


@pytest.fixture
def api(tmp_path: Path, nats_server: NatsServer) -> Iterator[ApiProcess]:
    process = ApiProcess(tmp_path / "vault03", nats_url=nats_server.url, extra_env=OFFICE)
    process.env["VAULT03_API_PUBLIC_URL"] = process.url
    process.env["VAULT03_API_SESSION_COOKIE_SECURE"] = "false"  # plain HTTP on loopback
    process.start()
    yield process
    process.stop()


def keep(tmp_path: Path) -> Path:
    """Where screenshots go: VAULT03_SCREENSHOTS when set (the docs' images), else tmp."""
    target = Path(os.environ.get("VAULT03_SCREENSHOTS") or tmp_path / "screenshots")
    target.mkdir(parents=True, exist_ok=True)
    return target


def keep_small(png: bytes, path: Path) -> None:
    """A screenshot as a palette PNG: a message's few flat colours stay sharp, at a third the
    size."""
    Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128).save(path, optimize=True)


def send_reminders_days_later(api: ApiProcess, days: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """A housekeeping round of reminders `days` from now, on the running API's database."""
    later = clock.utcnow() + timedelta(days=days)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    settings = make_settings(
        api.root,
        data_dir=api.root / "data",
        keys_dir=api.root / "keys",
        office_name=OFFICE["VAULT03_API_OFFICE_NAME"],
        office_email=OFFICE["VAULT03_API_OFFICE_EMAIL"],
        office_phone=OFFICE["VAULT03_API_OFFICE_PHONE"],
        office_address=["8 quai Saint-Vincent", "69001 Lyon"],
        time_zone=OFFICE["VAULT03_API_TIME_ZONE"],
    )
    engine = create_db_engine(settings.database_path)
    try:
        return send_due_reminders(engine, settings=settings)
    finally:
        engine.dispose()
        monkeypatch.undo()


def english_left(text: str, *data: str) -> list[str]:
    for value in (*OFFICE.values(), *data, "Tax 2026", "Bilan 2026.pdf"):
        text = text.replace(value, " ")
    return ENGLISH.findall(text)


def event_of(payload: dict[str, Any], kind: str) -> DeliveryRequested:
    return DeliveryRequested.model_validate({"delivery_id": "d", "kind": kind, "payload": payload})


@pytest.mark.fleet
@pytest.mark.parametrize("language", ["fr", "de"])
def test_a_customer_reads_the_portal_and_messages_in_their_language(
    api: ApiProcess, tmp_path: Path, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chromium = require_tool("chromium")
    pdftoppm = require_tool("pdftoppm")
    from playwright.sync_api import expect, sync_playwright

    database, keys, shots = api.root / "data" / "data.db", api.root / "keys", keep(tmp_path)
    token = staff_api_token(database)
    customer = {
        **CUSTOMER[language],
        "language": language,
        "mobile": "+33612345678",
        "address_line1": "12 rue des Lilas",
        "postal_code": "69003",
        "country": "FR" if language == "fr" else "DE",
    }
    share_over_http(
        api.url,
        token,
        files={"Bilan 2026.pdf": b"%PDF-1.4 bilan"},
        customer=customer,
        permissions=["download", "upload"],
        note=NOTE[language],
    )
    link_email = last_sent(database, keys, "share_link")
    link = str(link_email["context"]["link"])
    sms = str(last_sent(database, keys, "access_code")["text"])
    code = re.search(r"(\d{4} \d{4})", sms).group(1)  # type: ignore[union-attr]
    says = SAYS[language]
    # Four days on, not opened: the recipient is reminded by email and, the code having come
    # by SMS, by SMS too.
    assert send_reminders_days_later(api, 4, monkeypatch) == 1
    reminder_email = last_sent(database, keys, "share_reminder", channel="email")
    reminder_sms = str(last_sent(database, keys, "share_reminder", channel="sms")["text"])
    # A request for documents (an upload-only share), its code sent by email.
    share_over_http(
        api.url,
        token,
        files={},
        customer=customer,
        permissions=["upload"],
        code_channel="email",
        note=NOTE[language],
    )
    request_email = last_sent(database, keys, "share_link")
    assert request_email["context"]["file_request"] is True
    code_email = last_sent(database, keys, "access_code", channel="email")
    emails = {
        "link": (link_email, "share_link", link),
        "request": (request_email, "share_link", str(request_email["context"]["link"])),
        "code": (code_email, "access_code", ""),
        "reminder": (reminder_email, "share_reminder", ""),
    }
    for text in (sms, reminder_sms):
        assert not english_left(text), text
    print(sms, reminder_sms, sep="\n")  # what docs/shares.md quotes

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        context = browser.new_context(
            java_script_enabled=False, viewport={"width": 900, "height": 760}, locale=language
        )
        page = context.new_page()
        response = page.goto(link)
        assert response is not None and response.status == 200
        assert page.locator("html").get_attribute("lang") == language
        expect(page.get_by_role("heading", name=says["code"])).to_be_visible()
        assert not english_left(page.inner_text("body"))
        page.screenshot(path=shots / f"portal-code-{language}.png", full_page=True)

        page.get_by_label(says["label"]).fill("1111 2222")
        page.get_by_role("button", name=says["open"]).click()
        expect(page.get_by_role("alert")).to_contain_text(says["wrong"])
        assert not english_left(page.inner_text("body"))

        page.get_by_label(says["label"]).fill(code)
        page.get_by_role("button", name=says["open"]).click()
        expect(page.get_by_role("heading", name=says["for_you"])).to_be_visible()
        expect(page.get_by_role("button", name=says["send"], exact=True)).to_be_visible()
        body = page.inner_text("body")
        assert not english_left(body, NOTE[language], customer["name"]), body
        page.screenshot(path=shots / f"portal-files-{language}.png", full_page=True)

        context.close()
        # Each email as a mail client shows it: its own page, away from the portal's policy,
        # as wide as a reading pane.
        mail = browser.new_page(viewport={"width": 700, "height": 400})
        for name, (payload, kind, its_link) in emails.items():
            email = render_email(event_of(payload, kind), EmailSettings())
            assert email.subject and not english_left(email.subject), email.subject
            assert not english_left(email.text, NOTE[language], customer["name"], its_link), (
                name,
                email.text,
            )
            mail.set_content(email.html)
            assert mail.locator("html").get_attribute("lang") == language
            keep_small(mail.screenshot(full_page=True), shots / f"email-{name}-{language}.png")
        browser.close()

    # The code by post: the letter as printed, in the customer's language.
    share_over_http(api.url, token, files={}, customer=customer, code_channel="postal")
    letter = last_sent(database, keys, "access_code")
    assert letter["channel"] == "postal" and letter["context"]["language"] == language
    payload = PostalPayload.model_validate(letter)
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_letter(payload, PostalSettings(), today=date(2026, 12, 1)))
    subprocess.run(
        [pdftoppm, "-png", "-r", "60", "-singlefile", str(pdf), str(shots / f"letter-{language}")],
        check=True,
        timeout=60,
    )
    assert (shots / f"letter-{language}.png").stat().st_size > 10_000
