"""Languages through the real API: a customer's language is stored and validated, their
share's messages and portal pages (error pages too) are written in it, and an office's
default language is what customers get unless told otherwise."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.identity import FakeClock, Harness, harness_for, make_settings
from tests.support.outbox import sent_payload
from tests.support.shares import (
    create_share,
    enter_code,
    share_messages,
    staff,
    vault_with_files,
)
from vault03_api.shares.credentials import new_link_token

# English words that no French page has (names and the example's data aside).
ENGLISH = re.compile(
    r"\b(the|your|you|and|with|this|please|until|shared|been|have|will|here|never|enter|"
    r"access|download|send|sent|close|questions|size|name|added|left|back|wrong|preview)\b",
    re.IGNORECASE,
)


def visible_text(page: str) -> str:
    """What a reader sees: the page without its tags, attributes and the example's data."""
    text = re.sub(r"<[^>]+>", " ", page)
    for data in ("VAULT03 development office", "office@localhost", "Tax 2026", "report.pdf"):
        text = text.replace(data, " ")
    return text


def test_a_french_customer_reads_french_messages_and_pages(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {"report.pdf": b"%PDF-1.7"}, language="fr")
    shared = create_share(harness, headers, vault_id, note="Merci de signer la page 2")
    assert shared.body["language"] == "fr"
    link, code = (
        sent_payload(d, harness.state.keyring) for d in share_messages(harness, shared.id)
    )
    assert link["subject"] == "Documents mis à votre disposition : Tax 2026"
    assert link["context"]["language"] == "fr"
    assert code["text"].startswith("VAULT03 development office : votre code d'accès pour")

    browser = harness.new_client()
    code_page = browser.get(shared.path)
    assert '<html lang="fr">' in code_page.text
    assert "Saisissez votre code d'accès" in code_page.text
    assert "par SMS" in code_page.text
    assert not ENGLISH.findall(visible_text(code_page.text))

    wrong = enter_code(browser, shared, code="0000 0000")
    assert wrong.status_code == 401
    assert "Ce code n'est pas correct" in wrong.text.replace("&#39;", "'")
    assert not ENGLISH.findall(visible_text(wrong.text))

    assert enter_code(browser, shared).status_code == 303
    files = browser.get(shared.path)
    assert "Documents à votre intention" in files.text
    assert "Ce partage est ouvert jusqu" in files.text
    assert re.search(r"\d{1,2} \w+ 20\d\d", files.text)  # a French date: 14 décembre 2026
    assert "8 octets" in files.text
    assert not ENGLISH.findall(visible_text(files.text))

    missing = browser.get(f"{shared.path}/files/no-such-file")
    assert missing.status_code == 404
    assert "Une erreur est survenue" in missing.text
    assert not ENGLISH.findall(visible_text(missing.text))


def test_a_dead_link_answers_in_its_share_language_an_unknown_one_in_the_office_s(
    harness: Harness,
) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {"report.pdf": b"x"}, language="de")
    shared = create_share(harness, headers, vault_id)
    assert harness.client.post(f"/api/shares/{shared.id}/revoke", headers=headers).is_success
    gone = harness.new_client().get(shared.path)
    assert gone.status_code == 410
    assert "Dieser Link ist nicht mehr gültig" in gone.text and '<html lang="de">' in gone.text
    unknown = harness.new_client().get(f"/s/{new_link_token()}")
    assert unknown.status_code == 410
    assert "This link is no longer valid" in unknown.text and '<html lang="en">' in unknown.text


def test_a_third_party_gets_the_language_named_for_them(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {"report.pdf": b"x"}, language="fr")
    recipient = {"name": "Bernd Bauer", "email": "bernd@example.org", "language": "de"}
    shared = create_share(harness, headers, vault_id, recipient=recipient, code_channel="email")
    assert shared.body["language"] == "de"
    link, code = (
        sent_payload(d, harness.state.keyring) for d in share_messages(harness, shared.id)
    )
    assert link["subject"] == "Für Sie bereitgestellte Dokumente: Tax 2026"
    assert code["subject"] == "Ihr Zugangscode: Tax 2026"
    unnamed = {"name": "Carl", "email": "carl@example.org"}
    other = create_share(harness, headers, vault_id, recipient=unnamed, code_channel="email")
    assert other.body["language"] == "en"  # the office's


def test_the_customer_language_is_validated_and_defaults_to_the_office_s(
    harness: Harness,
) -> None:
    headers = staff(harness)
    body = {"name": "Ana Lima", "email": "ana@example.org"}
    created = harness.client.post("/api/customers", json=body, headers=headers)
    assert created.status_code == 201 and created.json()["language"] == "en"
    customer_id = created.json()["id"]
    refused = harness.client.post(
        "/api/customers", json={**body, "language": "es"}, headers=headers
    )
    assert refused.status_code == 422 and "language" in refused.text
    patched = harness.client.patch(
        f"/api/customers/{customer_id}", json={"language": "de"}, headers=headers
    )
    assert patched.status_code == 200 and patched.json()["language"] == "de"
    cleared = harness.client.patch(
        f"/api/customers/{customer_id}", json={"language": None}, headers=headers
    )
    assert cleared.status_code == 422 and "language cannot be empty" in cleared.text


def test_a_country_must_be_an_iso_code(harness: Harness) -> None:
    headers = staff(harness)
    body = {"name": "Ana Lima", "email": "ana@example.org", "country": "XX"}
    refused = harness.client.post("/api/customers", json=body, headers=headers)
    assert refused.status_code == 422 and "ISO 3166" in refused.text
    body["country"] = "de"
    accepted = harness.client.post("/api/customers", json=body, headers=headers)
    assert accepted.status_code == 201 and accepted.json()["country"] == "DE"


@pytest.fixture
def german_office(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Harness]:
    yield from harness_for(make_settings(tmp_path, language="de"), fake_clock)


def test_a_german_office_writes_to_new_customers_in_german(german_office: Harness) -> None:
    headers = staff(german_office)
    vault_id, _ = vault_with_files(german_office, headers, {"report.pdf": b"x"})
    shared = create_share(german_office, headers, vault_id)
    assert shared.body["language"] == "de"
    page = german_office.new_client().get(shared.path)
    assert "Geben Sie Ihren Zugangscode ein" in page.text
    unknown = german_office.new_client().get(f"/s/{new_link_token()}")
    assert "Dieser Link ist nicht mehr gültig" in unknown.text
