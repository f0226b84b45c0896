"""Notices to staff (a document received, a share opened or locked): sizes in human units,
times in the office's time zone, and a link to the item in the console, as the real email
worker renders them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.shares.test_office import OFFICE, paris, worker_event
from tests.support.identity import FakeClock, Harness, harness_for, make_settings
from tests.support.shares import create_share, csrf_of, enter_code, staff, vault_with_files
from vault03_api.shown import shown_size
from vault03_email.render import RenderedEmail, render_email
from vault03_email.settings import EmailSettings


@pytest.fixture
def office(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Harness]:
    yield from harness_for(make_settings(tmp_path, **OFFICE), fake_clock)


def notice(harness: Harness, kind: str) -> RenderedEmail:
    [delivery] = harness.deliveries(kind)
    return render_email(worker_event(harness, delivery), EmailSettings())


def test_a_received_document_is_told_in_human_units_office_time_and_a_console_link(
    office: Harness,
) -> None:
    headers = staff(office)
    vault_id, _ = vault_with_files(office, headers, {})
    shared = create_share(office, headers, vault_id, permissions=["upload"])
    browser = office.new_client()
    assert enter_code(browser, shared).status_code == 303
    csrf = csrf_of(browser.get(shared.path).text)
    scan = b"%PDF" + bytes(3 * 1024 * 1024 // 2 - 4)
    sent = browser.post(
        f"{shared.path}/files?csrf={csrf}",
        files={"file": ("scan.pdf", scan, "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    email = notice(office, "share_upload_notice")
    assert email.subject == "Document received: scan.pdf"
    assert "(1.5 MB)" in email.text and "bytes" not in email.text
    assert shown_size(len(scan)) == "1.5 MB"
    assert f"at {paris(office.clock.now.isoformat())}." in email.text
    assert "UTC" not in email.text
    vault_page = f"https://vault.example.org/#/vaults/{vault_id}"
    assert f"Open it in the console: {vault_page}" in email.text
    assert f'<a href="{vault_page}">Open it in the console</a>' in email.html


def test_an_opened_share_and_a_locked_one_link_to_the_share_in_the_console(
    office: Harness,
) -> None:
    headers = staff(office)
    vault_id, _ = vault_with_files(office, headers, {"a.pdf": b"%PDF"})
    watched = create_share(office, headers, vault_id, notify_on_access=True)
    assert enter_code(office.new_client(), watched).status_code == 303
    opened = notice(office, "share_access_notice")
    assert opened.subject == "Share opened: Tax 2026"
    assert f"https://vault.example.org/#/shares/{watched.id}" in opened.text
    assert f"at {paris(office.clock.now.isoformat())} from" in opened.text

    locked = create_share(office, headers, vault_id)
    stranger = office.new_client()
    for _ in range(5):
        enter_code(stranger, locked, "11112222")
    alert = notice(office, "share_locked_alert")
    assert f"Open it in the console: https://vault.example.org/#/shares/{locked.id}" in alert.text
