"""Maintenance windows through the API: notice, on, off, cancel, and what users see meanwhile."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.identity import CSRF, Harness
from vault03_api.maintenance import service as maintenance_service
from vault03_api.maintenance.recipients import Recipient
from vault03_common.events import EmailPayload
from vault03_email.render import render_bodies
from vault03_email.settings import EmailSettings

ADMIN = "admin@example.org"
STAFF = "staff@example.org"
AUDITOR = "auditor@example.org"
# The email templates' context (services/email templates maintenance_notice, service_restored).
NOTICE_FIELDS = {"office", "language", "starts_at", "ends_at", "reason", "short_notice"}
RESTORED_FIELDS = {"office", "language", "restored_at"}


def _setup(harness: Harness) -> dict[str, str]:
    """An admin (signed in), a staff user, an auditor and a disabled user."""
    harness.create_user(ADMIN, role="admin", name="Ada Admin")
    harness.create_user(STAFF, role="staff", name="Sam Staff")
    harness.create_user(AUDITOR, role="auditor", name="Aud Itor")
    gone = harness.create_user("gone@example.org", role="staff", name="Gone")
    harness.sql("UPDATE users SET deleted_at = datetime('now') WHERE id = :id", id=gone)
    return {CSRF: harness.login(ADMIN)}


def _schedule(harness: Harness, headers: dict[str, str], **overrides: Any) -> Any:
    body = {
        "starts_at": (harness.clock.now + timedelta(hours=48)).isoformat(),
        "duration_minutes": 120,
        "message": "Database upgrade",
        **overrides,
    }
    return harness.client.post("/api/maintenance/windows", json=body, headers=headers)


def _render(template: str, context: dict[str, Any]) -> None:
    """Render the email as the email worker does (a field its message lacks fails)."""
    payload = EmailPayload(
        to="sam@example.org", to_name="Sam", template=template, subject="S", context=context
    )
    text, html = render_bodies(payload, EmailSettings())
    assert text and html


def test_a_window_is_announced_to_every_active_staff_user(harness: Harness) -> None:
    headers = _setup(harness)
    start = harness.clock.now + timedelta(hours=48)
    response = _schedule(harness, headers, starts_at=start.isoformat())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["notices"] == {"staff": 3, "share_recipients": 0}
    assert body["window"]["state"] == "scheduled" and body["window"]["notices_sent"] == 3
    notices = harness.deliveries("maintenance_notice")
    assert sorted(d.recipient for d in notices) == [ADMIN, AUDITOR, STAFF]  # not the disabled
    payload = next(d.payload for d in notices if d.recipient == STAFF)
    assert payload["template"] == "maintenance_notice" and payload["to_name"] == "Sam Staff"
    assert set(payload["context"]) == NOTICE_FIELDS
    # Moments travel as such; the worker writes them out in the reader's language.
    assert datetime.fromisoformat(payload["context"]["starts_at"]) == start
    assert datetime.fromisoformat(payload["context"]["ends_at"]) == start + timedelta(hours=2)
    assert payload["context"]["reason"] == "Database upgrade"
    [entry] = harness.audit(entity_type="maintenance_windows", action="c")
    assert entry["changed_by"] == harness.user(ADMIN).id
    assert entry["new_values"]["message"] == "Database upgrade"


def test_less_than_24_hours_notice_is_refused_unless_emergency(harness: Harness) -> None:
    headers = _setup(harness)
    soon = (harness.clock.now + timedelta(hours=23)).isoformat()
    refused = _schedule(harness, headers, starts_at=soon)
    assert refused.status_code == 422
    assert refused.json()["detail"] == {"notice_hours": 23.0, "required_hours": 24.0}
    assert harness.deliveries("maintenance_notice") == []
    past = _schedule(
        harness, headers, starts_at=(harness.clock.now - timedelta(minutes=5)).isoformat()
    )
    assert past.status_code == 422
    urgent = _schedule(harness, headers, starts_at=soon, emergency=True)
    assert urgent.status_code == 201, urgent.text
    [notice, *_] = harness.deliveries("maintenance_notice")
    assert notice.payload["context"]["short_notice"] is True
    overlapping = _schedule(harness, headers, starts_at=soon, emergency=True)
    assert overlapping.status_code == 409
    naive = _schedule(harness, headers, starts_at="2030-01-01T10:00:00")
    assert naive.status_code == 422  # a time without its offset is ambiguous


def test_share_recipients_are_added_once_when_asked(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = _setup(harness)
    asked: list[datetime] = []

    def recipients(session: Any, *, now: datetime) -> list[Recipient]:
        asked.append(now)
        return [
            Recipient("client@example.com", "A Client"),
            Recipient("CLIENT@example.com", "Same Client"),
            Recipient(STAFF.upper(), "Staff as a recipient"),
        ]

    monkeypatch.setattr(maintenance_service, "active_share_recipients", recipients)
    plain = _schedule(harness, headers)
    assert plain.json()["notices"] == {"staff": 3, "share_recipients": 0} and not asked
    later = (harness.clock.now + timedelta(days=5)).isoformat()
    shared = _schedule(harness, headers, starts_at=later, notify_share_recipients=True)
    assert shared.json()["notices"] == {"staff": 3, "share_recipients": 1}
    assert asked == [harness.clock.now]
    to_client = [d for d in harness.deliveries("maintenance_notice") if d.recipient != STAFF]
    assert sum(d.recipient == "client@example.com" for d in to_client) == 1


def _start(harness: Harness, headers: dict[str, str]) -> dict[str, Any]:
    window = _schedule(harness, headers).json()["window"]
    harness.clock.advance(hours=48)
    headers[CSRF] = harness.login(ADMIN)  # two days later: a new session
    response = harness.client.post("/api/maintenance/on", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == window["id"] and response.json()["state"] == "on"
    return dict(response.json())


def test_maintenance_on_answers_503_to_all_but_admins(harness: Harness) -> None:
    headers = _setup(harness)
    window = _start(harness, headers)
    staff = harness.new_client()
    staff_headers = {CSRF: harness.login(STAFF, client=staff)}  # signing in stays open
    harness.clock.advance(minutes=20)
    ends_at = datetime.fromisoformat(window["ends_at"])
    retry_after = str(math.ceil((ends_at - harness.clock.now).total_seconds()))

    refused = staff.get("/api/customers", headers={"Accept": "application/json"})
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == retry_after
    body = refused.json()
    assert body["error"] == "VAULT03 is down for maintenance"
    assert body["detail"]["message"] == "Database upgrade" and body["detail"]["planned"] is True
    page = staff.get("/api/customers", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "Database upgrade" in page.text and page.headers["retry-after"] == retry_after
    # Customers reach it from their share links: it names the office, in the office's time,
    # and stays whole under a strict CSP (no inline script or style; its stylesheet answers).
    settings = harness.state.settings
    assert settings.office.name in page.text
    assert settings.shown_time(ends_at) in page.text
    assert "<script" not in page.text and "<style" not in page.text
    assert f'<meta http-equiv="refresh" content="{retry_after}">' in page.text
    assert harness.new_client().get("/s/assets/portal.css").status_code == 200
    curl = staff.get("/api/customers", headers={"Accept": "*/*"})
    assert curl.headers["content-type"] == "application/json"
    anonymous = harness.new_client()
    assert anonymous.post("/api/auth/password/forgot", json={"email": STAFF}).status_code == 503
    assert anonymous.get("/api/vaults/1").status_code == 503  # not 401: the page says why

    # Admins work as usual; everyone may still sign in, read health and the window list.
    assert harness.client.get("/api/customers").status_code == 200
    assert staff.get("/api/maintenance").json()["on"]["message"] == "Database upgrade"
    assert staff.post("/api/auth/logout", headers=staff_headers).status_code == 204
    assert harness.login(STAFF, client=staff)
    health = anonymous.get("/api/health")
    assert health.status_code == 200 and health.json()["status"] == "maintenance"
    assert health.json()["maintenance"]["message"] == "Database upgrade"

    harness.clock.advance(hours=2)  # past the announced end: retry every five minutes
    assert staff.get("/api/customers").headers["retry-after"] == "300"


def test_maintenance_off_restores_service_and_tells_the_same_people(harness: Harness) -> None:
    headers = _setup(harness)
    _start(harness, headers)
    again = harness.client.post("/api/maintenance/on", headers=headers)
    assert again.status_code == 409
    harness.clock.advance(minutes=20)
    off = harness.client.post(
        "/api/maintenance/off", json={"details": "All went well."}, headers=headers
    )
    assert off.status_code == 200, off.text
    assert off.json()["window"]["state"] == "over"
    assert off.json()["notices"] == {"staff": 3, "share_recipients": 0}
    restored = harness.deliveries("service_restored")
    assert sorted(d.recipient for d in restored) == [ADMIN, AUDITOR, STAFF]
    context = restored[0].payload["context"]
    assert set(context) == RESTORED_FIELDS | {"details"}
    assert datetime.fromisoformat(context["restored_at"]) == harness.clock.now
    staff = harness.new_client()
    harness.login(STAFF, client=staff)
    assert staff.get("/api/customers").status_code == 200
    assert harness.client.get("/api/health").json()["status"] == "ok"
    assert harness.client.post("/api/maintenance/off", headers=headers).status_code == 409
    actions = [row["action"] for row in harness.audit(entity_type="maintenance_windows")]
    assert actions == ["c", "u", "u"]  # scheduled, on, off


def test_on_needs_a_due_window_or_an_emergency(harness: Harness) -> None:
    headers = _setup(harness)
    window = _schedule(harness, headers).json()["window"]
    early = harness.client.post("/api/maintenance/on", headers=headers)
    assert early.status_code == 409 and early.json()["detail"] == {"scheduled": [window["id"]]}
    emergency = harness.client.post(
        "/api/maintenance/on",
        json={"emergency": True, "duration_minutes": 20, "message": "Disk replacement"},
        headers=headers,
    )
    assert emergency.status_code == 200, emergency.text
    assert emergency.json()["emergency"] is True
    staff = harness.new_client()
    response = staff.get("/api/customers")
    assert response.status_code == 503 and response.headers["retry-after"] == str(20 * 60)
    assert response.json()["detail"]["planned"] is False
    harness.client.post("/api/maintenance/off", headers=headers)
    # The announced window is still there, and can be named explicitly.
    named = harness.client.post(
        "/api/maintenance/on", json={"window_id": window["id"]}, headers=headers
    )
    assert named.status_code == 200 and named.json()["id"] == window["id"]


def test_a_scheduled_window_can_be_cancelled_before_it_starts(harness: Harness) -> None:
    headers = _setup(harness)
    window = _schedule(harness, headers).json()["window"]
    cancelled = harness.client.delete(f"/api/maintenance/windows/{window['id']}", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert harness.client.get("/api/maintenance").json() == {"on": None, "scheduled": []}
    harness.clock.advance(hours=48)
    headers[CSRF] = harness.login(ADMIN)
    assert harness.client.post("/api/maintenance/on", headers=headers).status_code == 409
    missing = harness.client.delete("/api/maintenance/windows/999", headers=headers)
    assert missing.status_code == 404


def test_the_notices_render_with_the_email_templates(harness: Harness) -> None:
    headers = _setup(harness)
    _start(harness, headers)
    harness.client.post("/api/maintenance/off", headers=headers)
    for kind in ("maintenance_notice", "service_restored"):
        payload = harness.deliveries(kind)[0].payload
        assert payload["template"] == kind
        _render(kind, payload["context"])
