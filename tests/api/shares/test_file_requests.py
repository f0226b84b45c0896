"""An upload-only share is a request for documents: its email, SMS, letter and portal page say
so, rendered by the real workers from what the API queued."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from tests.api.shares.test_office import ADDRESS, worker_event
from tests.support.identity import Harness
from tests.support.shares import create_share, enter_code, share_messages, staff, vault_with_files
from vault03_common.events import PostalPayload, SmsPayload
from vault03_email.render import render_email
from vault03_email.settings import EmailSettings
from vault03_postal.letter import render_letter
from vault03_postal.settings import PostalSettings

SHARED = "has shared documents with you"


def test_a_file_request_by_sms_is_named_a_request_in_email_sms_and_portal(
    harness: Harness,
) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {"old.pdf": b"%PDF"})
    shared = create_share(harness, headers, vault_id, permissions=["upload"], code_channel="sms")
    link, code = share_messages(harness, shared.id)
    email = render_email(worker_event(harness, link), EmailSettings())
    assert email.subject == "Documents requested: Tax 2026"
    assert "asks you to send documents" in email.text and SHARED not in email.text
    assert "Send your documents" in email.html and SHARED not in email.html
    sms = worker_event(harness, code).payload
    assert isinstance(sms, SmsPayload) and "to send the documents requested for" in sms.text
    browser = harness.new_client()
    assert enter_code(browser, shared).status_code == 303
    page = browser.get(shared.path).text
    assert "Documents requested from you" in page and "Send a document back" not in page
    assert "old.pdf" not in page


def test_a_file_request_letter_asks_for_documents(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {}, **ADDRESS)
    shared = create_share(harness, headers, vault_id, permissions=["upload"], code_channel="postal")
    [letter] = [d for d in share_messages(harness, shared.id) if d.channel == "postal"]
    payload = worker_event(harness, letter).payload
    assert isinstance(payload, PostalPayload)
    pdf = render_letter(payload, PostalSettings(), today=date(2026, 12, 1))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "asks you to send documents" in text and "have been shared with you" not in text


def test_a_share_that_sends_documents_still_says_it_shares_them(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {"a.pdf": b"%PDF"})
    shared = create_share(harness, headers, vault_id, permissions=["download", "upload"])
    link = share_messages(harness, shared.id)[0]
    email = render_email(worker_event(harness, link), EmailSettings())
    assert SHARED in email.text and email.subject == "Documents shared with you: Tax 2026"
    browser = harness.new_client()
    assert enter_code(browser, shared).status_code == 303
    assert "Send a document back" in browser.get(shared.path).text
