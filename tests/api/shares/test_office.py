"""The office's identity, set once in the API's settings, in every message and portal page,
with times in its time zone; each message is rendered by the real worker's renderer."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from pypdf import PdfReader

from tests.support.identity import FakeClock, Harness, harness_for, make_settings
from tests.support.outbox import sent_payload
from tests.support.shares import create_share, enter_code, share_messages, staff, vault_with_files
from vault03_api.deliveries.models import Delivery
from vault03_api.settings import ApiSettings
from vault03_api.shares.credentials import new_link_token
from vault03_common import i18n
from vault03_common.events import DeliveryRequested, PostalPayload, SmsPayload
from vault03_email.render import render_email
from vault03_email.settings import EmailSettings
from vault03_postal.letter import printable, render_letter
from vault03_postal.settings import PostalSettings

OFFICE = {
    "office_name": "Cabinet Dupont",
    "office_email": "contact@cabinet-dupont.example",
    "office_phone": "+33 4 78 00 00 00",
    "office_address": ["8 quai Saint-Vincent", "69001 Lyon"],
    "time_zone": "Europe/Paris",
}
ADDRESS = {"address_line1": "12 rue des Lilas", "postal_code": "69003", "city": "Lyon"}


@pytest.fixture
def office(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Harness]:
    yield from harness_for(make_settings(tmp_path, **OFFICE), fake_clock)


def paris(moment: str) -> str:
    """An API timestamp as the office reads it (Paris time, CET or CEST)."""
    return i18n.moment(datetime.fromisoformat(moment), language="en", time_zone="Europe/Paris")


def worker_event(harness: Harness, delivery: Delivery) -> DeliveryRequested:
    """The event the worker receives for a queued delivery (its secrets unsealed)."""
    payload = sent_payload(delivery, harness.state.keyring)
    return DeliveryRequested.model_validate(
        {"delivery_id": delivery.id, "kind": delivery.kind, "payload": payload}
    )


def test_link_email_code_sms_and_portal_name_the_office_in_its_time_zone(office: Harness) -> None:
    headers = staff(office)
    vault_id, _ = vault_with_files(office, headers, {"a.pdf": b"%PDF"})
    shared = create_share(office, headers, vault_id, code_channel="sms")
    shown = paris(shared.body["expires_at"])
    assert shown.endswith((" CET", " CEST"))
    link, code = share_messages(office, shared.id)
    email = render_email(worker_event(office, link), EmailSettings())
    assert email.sender_name == "Cabinet Dupont"
    for text in ("Cabinet Dupont", "contact@cabinet-dupont.example", "8 quai Saint-Vincent"):
        assert text in email.text and text in email.html
    assert shown in email.text and "UTC" not in email.text
    sms = worker_event(office, code).payload
    assert isinstance(sms, SmsPayload)
    assert sms.text.startswith("Cabinet Dupont: ") and shown in sms.text
    browser = office.new_client()
    assert enter_code(browser, shared).status_code == 303
    page = browser.get(shared.path).text
    assert "Cabinet Dupont" in page and "contact@cabinet-dupont.example" in page
    assert shown in page
    gone = office.new_client().get(f"/s/{new_link_token()}")
    assert gone.status_code == 410 and "contact Cabinet Dupont" in gone.text


def test_the_code_letter_carries_the_offices_return_address(office: Harness) -> None:
    headers = staff(office)
    vault_id, _ = vault_with_files(office, headers, {"a.pdf": b"%PDF"}, **ADDRESS)
    shared = create_share(office, headers, vault_id, code_channel="postal")
    [letter] = [d for d in share_messages(office, shared.id) if d.channel == "postal"]
    payload = worker_event(office, letter).payload
    assert isinstance(payload, PostalPayload)
    pdf = render_letter(payload, PostalSettings(), today=date(2026, 12, 1))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Cabinet Dupont\n8 quai Saint-Vincent\n69001 Lyon" in text
    assert "12 rue des Lilas" in text and printable(paris(shared.body["expires_at"])) in text


def test_production_refuses_to_start_without_the_offices_name_and_return_address(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValidationError, match="office_name and office_address must be set"):
        make_settings(tmp_path, environment="production")
    named = make_settings(tmp_path, environment="production", **OFFICE)
    assert named.office.name == "Cabinet Dupont"
    with pytest.raises(ValidationError, match="unknown time zone"):
        make_settings(tmp_path, time_zone="Europe/Lyon")


def test_development_without_settings_uses_the_development_office() -> None:
    settings = ApiSettings()
    assert settings.office.name == "VAULT03 development office" and settings.office.address
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert settings.shown_time(moment) == "July 1, 2026, 12:00\u202fPM UTC"
