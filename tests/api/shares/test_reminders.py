"""Reminders on the controllable clock: a share not yet opened and a file request not yet
answered remind their recipient after the configured days, at most the configured times; the
creator hears before a waiting share expires; each is audited and sent once per due time, even
when two runs race or the API restarts; none for shares revoked, expired, opened or answered.
Every message is rendered by the real workers' renderers."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from tests.api.shares.test_office import OFFICE, paris, worker_event
from tests.support.identity import FakeClock, Harness, harness_for, make_settings
from tests.support.shares import (
    Shared,
    create_share,
    csrf_of,
    enter_code,
    staff,
    vault_with_files,
)
from vault03_api.db import create_db_engine
from vault03_api.ops import housekeeping
from vault03_api.settings import ApiSettings
from vault03_api.shares.models import ShareReminderSent
from vault03_api.shares.reminders import send_due_reminders
from vault03_common.events import SmsPayload
from vault03_email.render import RenderedEmail, render_email
from vault03_email.settings import EmailSettings

REMINDERS = {
    "share_reminder_after_days": 3,
    "share_reminder_max_count": 2,
    "share_expiry_warning_days": 2,
}


@pytest.fixture
def office(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Harness]:
    yield from harness_for(make_settings(tmp_path, **OFFICE, **REMINDERS), fake_clock)


def remind(harness: Harness, **overrides: Any) -> int:
    """One housekeeping round of reminders, now on the harness's clock."""
    settings = harness.state.settings.model_copy(update=overrides)
    return send_due_reminders(harness.state.engine, settings=settings)


def emails(harness: Harness, kind: str) -> list[RenderedEmail]:
    return [
        render_email(worker_event(harness, d), EmailSettings())
        for d in sorted(harness.deliveries(kind), key=lambda d: d.created_at)
        if d.channel == "email"
    ]


def texts(harness: Harness, kind: str) -> list[str]:
    found = []
    for delivery in harness.deliveries(kind):
        if delivery.channel == "sms":
            payload = worker_event(harness, delivery).payload
            assert isinstance(payload, SmsPayload)
            found.append(payload.text)
    return found


_STAFF: dict[str, dict[str, str]] = {}


def new_share(harness: Harness, **fields: Any) -> Shared:
    """A share of a new vault, made by the one staff member of this harness's database."""
    key = str(harness.state.settings.database_path)
    headers = _STAFF.get(key) or _STAFF.setdefault(key, staff(harness))
    vault_id, _ = vault_with_files(harness, headers, {"a.pdf": b"%PDF"})
    return create_share(harness, headers, vault_id, **fields)


def test_an_unopened_share_reminds_its_recipient_at_most_the_configured_times(
    office: Harness,
) -> None:
    shared = new_share(office, code_channel="sms")
    sent_at = paris(shared.body["issued_at"])
    office.clock.advance(days=3, seconds=-1)
    assert remind(office) == 0
    office.clock.advance(seconds=1)
    assert remind(office) == 1
    assert remind(office) == 0  # the same due time: never twice
    [email] = emails(office, "share_reminder")
    assert email.to == "ada@example.org"
    assert email.subject == "Reminder: Documents shared with you: Tax 2026"
    assert f"the link in our email of {sent_at}" in email.text
    assert "by text message" in email.text
    assert paris(shared.body["expires_at"]) in email.text and "UTC" not in email.text
    assert "/s/" not in email.text and shared.code not in email.text  # no link, no code
    [sms] = texts(office, "share_reminder")
    assert sms.startswith("Cabinet Dupont: a reminder that documents shared with you")
    assert sent_at in sms and shared.code not in sms.replace(" ", "")

    office.clock.advance(days=3)
    assert remind(office) == 1
    office.clock.advance(days=3)
    assert remind(office) == 0  # share_reminder_max_count reached
    assert len(emails(office, "share_reminder")) == 2
    audit = office.audit(entity_type="share_reminders", event="reminder_sent")
    assert [entry["new_values"]["sent_to"] for entry in audit] == ["ada@example.org"] * 2
    assert {entry["new_values"]["share_id"] for entry in audit} == {shared.id}
    headers = _STAFF[str(office.state.settings.database_path)]
    customer = shared.body["customer_id"]
    timeline = office.client.get(f"/api/customers/{customer}/timeline", headers=headers).json()
    told = [
        (item["delivery"]["purpose"], item["delivery"]["channel"])
        if item["delivery"]
        else (item["entry"]["event"], item["entry"]["actor"], item["entry"]["subject"])
        for item in timeline["items"]
        if (item["delivery"] or {}).get("kind") == "share_reminder"
        or (item["entry"] or {}).get("entity_type") == "share_reminders"
    ]
    # Newest first, the messages of each reminder just above the entry that records it.
    assert len(told) == 6
    for messages, entry in ((told[0:2], told[2]), (told[3:5], told[5])):
        assert sorted(messages) == [("reminder", "email"), ("reminder", "sms")]
        assert entry == ("reminder_sent", None, "Tax 2026")
    # The share's page lists its reminders beside its link and code, with their status.
    share = office.client.get(f"/api/shares/{shared.id}", headers=headers).json()
    reminders = share["reminder_deliveries"]
    assert sorted((d["purpose"], d["kind"], d["channel"]) for d in reminders) == [
        ("reminder", "share_reminder", channel) for channel in ("email", "email", "sms", "sms")
    ]
    assert [d["created_at"] for d in reminders] == sorted(d["created_at"] for d in reminders)
    assert {d["status"] for d in reminders} == {"queued"}
    assert share["link_delivery"]["purpose"] == "link"
    assert share["code_delivery"]["purpose"] == "code"


def test_an_opened_share_and_an_answered_file_request_are_not_reminded(office: Harness) -> None:
    opened = new_share(office)
    assert enter_code(office.new_client(), opened).status_code == 303
    request = new_share(office, permissions=["upload"])
    browser = office.new_client()
    assert enter_code(browser, request).status_code == 303  # opened, nothing sent yet
    office.clock.advance(days=3)
    assert remind(office) == 1
    [email] = emails(office, "share_reminder")
    assert email.subject == "Reminder: Documents requested: Tax 2026"
    assert "has not received any yet" in email.text

    browser = office.new_client()  # the first portal session has long ended
    assert enter_code(browser, request).status_code == 303
    csrf = csrf_of(browser.get(request.path).text)
    answered = browser.post(
        f"{request.path}/files?csrf={csrf}",
        files={"file": ("scan.pdf", b"%PDF scan", "application/pdf")},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    office.clock.advance(days=3)
    assert remind(office) == 0
    office.clock.advance(days=6)  # into the expiry warning's days: none either
    assert remind(office) == 0
    assert office.deliveries("share_expiry_warning") == []


def test_revoked_and_expired_shares_send_nothing(office: Harness) -> None:
    headers = staff(office)
    vault_id, _ = vault_with_files(office, headers, {"a.pdf": b"%PDF"})
    revoked = create_share(office, headers, vault_id)
    soon = (office.clock.now + timedelta(days=1)).isoformat()
    create_share(office, headers, vault_id, expires_at=soon)
    revoking = office.client.post(f"/api/shares/{revoked.id}/revoke", headers=headers)
    assert revoking.status_code == 200, revoking.text
    office.clock.advance(days=3)
    assert remind(office) == 0
    assert office.deliveries("share_reminder") == office.deliveries("share_expiry_warning") == []


def test_the_creator_hears_before_a_waiting_share_expires_once_per_expiry(
    office: Harness,
) -> None:
    headers = staff(office)
    vault_id, _ = vault_with_files(office, headers, {"a.pdf": b"%PDF"})
    shared = create_share(office, headers, vault_id)
    office.clock.advance(days=12)  # 14-day share, warned 2 days before its end
    assert remind(office, share_reminder_after_days=0) == 1
    assert remind(office, share_reminder_after_days=0) == 0
    [warning] = emails(office, "share_expiry_warning")
    assert warning.to == "staff@example.org"
    assert warning.subject == "Share expires soon: Tax 2026"
    assert "Ada Lovelace has not yet opened the documents you shared" in warning.text
    assert f"expires on {paris(shared.body['expires_at'])}" in warning.text
    page = f"https://vault.example.org/#/shares/{shared.id}"
    assert f"from the console: {page}" in warning.text and f'href="{page}"' in warning.html
    assert office.audit(entity_type="share_reminders", event="expiry_warning_sent")

    later = (office.clock.now + timedelta(days=10)).isoformat()
    extended = office.client.post(
        f"/api/shares/{shared.id}/extend", json={"expires_at": later}, headers=headers
    )
    assert extended.status_code == 200, extended.text
    assert remind(office, share_reminder_after_days=0) == 0
    office.clock.advance(days=8)
    assert remind(office, share_reminder_after_days=0) == 1  # the new expiry is warned of
    assert len(emails(office, "share_expiry_warning")) == 2


def test_a_code_by_post_is_reminded_after_the_letter_is_expected_to_arrive(
    office: Harness,
) -> None:
    address = {"address_line1": "12 rue des Lilas", "postal_code": "69003", "city": "Lyon"}
    headers = staff(office)
    vault_id, _ = vault_with_files(office, headers, {}, **address)
    create_share(office, headers, vault_id, code_channel="postal")
    office.clock.advance(days=3)
    assert remind(office) == 0  # the letter takes postal_delivery_days (5)
    office.clock.advance(days=5)
    assert remind(office) == 1
    [email] = emails(office, "share_reminder")
    assert "reached you separately by post" in email.text
    assert texts(office, "share_reminder") == []  # the code went by post: no SMS


def test_zero_days_or_count_turn_reminders_off(office: Harness) -> None:
    new_share(office)
    office.clock.advance(days=13)
    assert remind(office, share_reminder_max_count=0, share_expiry_warning_days=0) == 0
    assert remind(office, share_reminder_after_days=0, share_expiry_warning_days=0) == 0
    assert office.deliveries("share_reminder") == []


def test_two_runs_that_race_send_each_reminder_once(office: Harness, tmp_path: Path) -> None:
    for _ in range(5):
        new_share(office)
    office.clock.advance(days=3)
    settings = office.state.settings
    start = threading.Barrier(4)
    sent: list[int] = []

    def run() -> None:
        engine = create_db_engine(settings.database_path)  # a process of its own, as it were
        try:
            start.wait()
            sent.append(send_due_reminders(engine, settings=settings))
        finally:
            engine.dispose()

    runs = [threading.Thread(target=run) for _ in range(4)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()
    assert sum(sent) == 5
    assert len(emails(office, "share_reminder")) == 5


def test_a_reminder_recorded_twice_for_one_due_time_is_refused(office: Harness) -> None:
    shared = new_share(office)
    due = office.clock.now
    row: dict[str, Any] = {"share_id": shared.id, "kind": "recipient", "due_at": due}
    with office.db() as session:
        session.add(ShareReminderSent(**row, sent_to="ada@example.org"))
    with pytest.raises(IntegrityError), office.db() as session:
        session.add(ShareReminderSent(**row, sent_to="ada@example.org"))
        session.flush()


def test_the_api_sends_due_reminders_when_it_starts_and_not_again_after_a_restart(
    tmp_path: Path, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rounds: list[int] = []
    done = threading.Event()

    def observed(engine: Engine, *, settings: ApiSettings) -> int:
        rounds.append(send_due_reminders(engine, settings=settings))
        done.set()
        return rounds[-1]

    monkeypatch.setattr(housekeeping, "send_due_reminders", observed)
    settings = make_settings(tmp_path, **REMINDERS)
    running = contextlib.contextmanager(harness_for)
    with running(settings, fake_clock) as first:
        assert done.wait(30)  # the housekeeping task runs its jobs as soon as the API starts
        new_share(first)
    fake_clock.advance(days=3)
    for _ in range(2):
        done.clear()
        with running(settings, fake_clock) as api:
            assert done.wait(30)
            assert len(emails(api, "share_reminder")) == 1
    assert rounds == [0, 1, 0]
