"""A reminder across the real fleet: a share left unopened past share_reminder_after_days is
reminded by `vault03 shares remind` against the running API, and the reminder reaches the
recipient through the relay, NATS and the real email and SMS workers (their local sinks)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.fleet.test_share_flow import emails, links_received, text_of
from tests.support import NatsServer, wait_for
from tests.support.fleet import Fleet, running_fleet
from tests.support.live_shares import share_over_http, staff_api_token
from vault03_api.timestamps import from_text, to_text

pytestmark = pytest.mark.fleet

SUBJECT = "Reminder: Documents shared with you: Tax 2026"


@pytest.fixture
def fleet(tmp_path: Path, nats_server: NatsServer) -> Iterator[Fleet]:
    with running_fleet(tmp_path, nats_url=nats_server.url) as running:
        yield running


def sent_days_ago(fleet: Fleet, share_id: int, days: int) -> None:
    """Move the share's creation and link back in time, as if sent `days` ago."""
    with sqlite3.connect(fleet.database) as connection:
        created, issued = connection.execute(
            "SELECT created_at, issued_at FROM shares WHERE id = ?", (share_id,)
        ).fetchone()
        earlier = timedelta(days=days)
        connection.execute(
            "UPDATE shares SET created_at = ?, issued_at = ? WHERE id = ?",
            (to_text(from_text(created) - earlier), to_text(from_text(issued) - earlier), share_id),
        )


def reminder_texts(fleet: Fleet) -> list[str]:
    path = fleet.outbox / "sms.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [line["text"] for line in lines if "a reminder" in line["text"]]


def test_an_unopened_share_is_reminded_through_the_workers(fleet: Fleet) -> None:
    staff = staff_api_token(fleet.database)
    live = share_over_http(fleet.api_url, staff, files={"a.pdf": b"%PDF-1.7 report"})
    wait_for(lambda: links_received(fleet, "ada@example.org"), timeout=60, what="the link")
    assert fleet.vault03("shares", "remind").stdout.strip() == "sent 0 reminder(s)"

    sent_days_ago(fleet, live.share["id"], days=4)
    assert fleet.vault03("shares", "remind").stdout.strip() == "sent 1 reminder(s)"
    [reminder] = wait_for(
        lambda: [m for m in emails(fleet) if m["Subject"] == SUBJECT],
        timeout=60,
        what="the reminder email",
    )
    assert reminder["To"].endswith("<ada@example.org>")
    body = text_of(reminder)
    assert "have not been opened yet" in body and "/s/" not in body
    [sms] = wait_for(lambda: reminder_texts(fleet), timeout=60, what="the reminder SMS")
    assert sms.startswith("VAULT03 development office: a reminder that documents shared")
    wait_for(
        lambda: all(status == "sent" for status in fleet.statuses().values()),
        timeout=60,
        what="every delivery reported sent",
    )
    assert fleet.vault03("shares", "remind").stdout.strip() == "sent 0 reminder(s)"
    assert len([m for m in emails(fleet) if m["Subject"] == SUBJECT]) == 1
