"""A customer's timeline and the audit log by customer: every entry about the customer and
nothing about another, named in words (staff by name, a recipient by the share's name for
what they did through the link), the share's messages with their status, paged."""

from __future__ import annotations

from typing import Any

from tests.support.identity import CSRF, PASSWORD, Harness
from tests.support.shares import (
    create_share,
    enter_code,
    report_all_sent,
    vault_with_files,
)
from tests.support.vaults import token_headers

Item = dict[str, Any]


def _shared_and_used(harness: Harness) -> tuple[int, dict[str, str]]:
    """Sophie's vault with a file from staff, shared with her; she opens it, downloads the file
    and sends one back; staff revoke the share. Another customer has a vault of their own."""
    headers = token_headers(harness, "staff", email="marc@example.org")
    with harness.db() as session:
        from vault03_api.auth.models import User

        marc = session.get(User, harness.user("marc@example.org").id)
        assert marc is not None
        marc.name = "Marc Dubois"
        session.add(marc)
    vault_with_files(harness, headers, {"other.pdf": b"x"}, name="Other Person", email="o@x.org")
    vault_id, ids = vault_with_files(
        harness, headers, {"Tax return 2025.pdf": b"hello"}, name="Sophie Martin"
    )
    harness.clock.advance(seconds=1)
    shared = create_share(harness, headers, vault_id, permissions=["download", "upload"])
    report_all_sent(harness)
    harness.clock.advance(seconds=1)
    browser = harness.new_client()
    enter_code(browser, shared)
    assert browser.get(f"{shared.path}/files/{ids['Tax return 2025.pdf']}").content == b"hello"
    csrf = browser.get(shared.path).text.split("csrf=")[1].split('"')[0]
    sent = browser.post(
        f"{shared.path}/files?csrf={csrf}",
        files={"file": ("signed.pdf", b"back", "text/plain")},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    harness.clock.advance(seconds=1)
    assert harness.client.post(f"/api/shares/{shared.id}/revoke", headers=headers).is_success
    return int(shared.body["customer_id"]), headers


def _timeline(harness: Harness, customer_id: int, headers: dict[str, str], **query: Any) -> Any:
    response = harness.client.get(
        f"/api/customers/{customer_id}/timeline", params=query, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def _all_pages(
    harness: Harness, customer_id: int, headers: dict[str, str], **query: Any
) -> list[Item]:
    items: list[Item] = []
    before: int | None = None
    while True:
        page = _timeline(
            harness, customer_id, headers, **query, **({"before_id": before} if before else {})
        )
        items += page["items"]
        before = page["next_before_id"]
        if before is None:
            return items


def _said(item: Item) -> tuple[Any, ...]:
    entry = item["entry"]
    if entry is None:
        delivery = item["delivery"]
        return ("delivery", delivery["purpose"], delivery["channel"], delivery["status"])
    what = entry["event"] or entry["action"]
    return (entry["actor"], entry["actor_kind"], entry["entity_type"], what, entry["subject"])


def test_the_timeline_tells_everything_about_the_customer_and_nothing_else(
    harness: Harness,
) -> None:
    customer_id, headers = _shared_and_used(harness)
    auditor = token_headers(harness, "auditor")
    items = _timeline(harness, customer_id, auditor)["items"]
    said = [_said(item) for item in reversed(items)]  # oldest first
    marc, sophie = ("Marc Dubois", "staff"), ("Sophie Martin", "recipient")
    assert said[:3] == [
        (*marc, "customers", "c", "Sophie Martin"),
        (*marc, "vaults", "c", "Tax 2026"),
        (*marc, "files", "c", "Tax return 2025.pdf"),
    ]
    assert said[3] == (*marc, "shares", "c", "Tax 2026")
    assert sorted(said[4:6]) == [
        ("delivery", "code", "sms", "sent"),
        ("delivery", "link", "email", "sent"),
    ]
    portal = [entry for entry in said[6:-1]]
    assert portal and all(entry[:3] == (*sophie, "share_access") for entry in portal)
    assert (*sophie, "share_access", "c", "Tax return 2025.pdf") in portal  # the download
    assert (*sophie, "share_access", "c", "signed.pdf") in portal  # the document sent back
    assert said[-1] == (*marc, "shares", "revoked", "Tax 2026")
    assert {
        item["entry"]["recipient"]
        for item in items
        if item["entry"] and item["entry"]["entity_type"] == "share_access"
    } == {"Sophie Martin"}
    assert all("other" not in str(item).lower() for item in items)

    everything = [
        _said(item) for item in _timeline(harness, customer_id, auditor, summary=False)["items"]
    ]
    technical = set(everything) - set(said)
    assert (*sophie, "portal_sessions", "c", None) in technical
    assert (*sophie, "files", "read", "Tax return 2025.pdf") in technical
    assert (*sophie, "files", "c", "signed.pdf") in technical

    staff_view = _timeline(harness, customer_id, headers)["items"]
    assert [_said(item) for item in staff_view] == [_said(item) for item in items]


def test_pages_hold_every_entry_and_message_once(harness: Harness) -> None:
    customer_id, headers = _shared_and_used(harness)
    whole = _timeline(harness, customer_id, headers, limit=500, summary=False)["items"]
    assert len(whole) > 10
    for limit in (1, 3, 4):
        paged = _all_pages(harness, customer_id, headers, limit=limit, summary=False)
        assert paged == whole
    times = [item["at"] for item in whole]
    assert times == sorted(times, reverse=True)


def test_the_audit_log_filters_by_customer_and_names_people(harness: Harness) -> None:
    customer_id, _ = _shared_and_used(harness)
    auditor = token_headers(harness, "auditor")
    page = harness.client.get(
        "/api/audit", params={"customer_id": customer_id, "limit": 500}, headers=auditor
    ).json()
    timeline = _timeline(harness, customer_id, auditor, summary=False, limit=500)["items"]
    assert [item["id"] for item in page["items"]] == [
        item["entry"]["id"] for item in timeline if item["entry"]
    ]
    summary = harness.client.get(
        "/api/audit", params={"customer_id": customer_id, "summary": True}, headers=auditor
    ).json()["items"]
    assert 0 < len(summary) < len(page["items"])
    assert not any(item["actor"] is None for item in summary)
    exported = harness.client.get(
        "/api/audit/export.csv", params={"customer_id": customer_id}, headers=auditor
    )
    assert exported.text.count("\n") == len(page["items"]) + 1


def test_staff_sessions_read_as_signing_in_and_out(harness: Harness) -> None:
    harness.create_user("auditor@example.org", role="auditor", name="Alice Auditor")
    harness.login("auditor@example.org")
    entries = harness.client.get("/api/audit", params={"entity_type": "sessions"}).json()
    assert entries["items"], "signing in is recorded"
    summary = harness.client.get(
        "/api/audit", params={"entity_type": "sessions", "summary": True}
    ).json()["items"]
    assert len(summary) == 1 and summary[0]["new_values"]["stage"] == "full"
    assert (summary[0]["actor"], summary[0]["actor_kind"]) == ("Alice Auditor", "staff")


def test_enrolment_reads_as_one_entry_not_ten_recovery_codes(harness: Harness) -> None:
    harness.create_user("ada@example.org", role="admin", name="Ada Admin", two_factor=False)
    start = harness.client.post(
        "/api/auth/login", json={"email": "ada@example.org", "password": PASSWORD}
    )
    csrf = {CSRF: start.json()["csrf_token"]}
    secret = harness.client.post("/api/auth/totp/enrolment", headers=csrf).json()["secret"]
    harness.created["ada@example.org"] = secret
    confirmed = harness.client.post(
        "/api/auth/totp/enrolment/confirm",
        json={"code": harness.code("ada@example.org")},
        headers=csrf,
    )
    assert confirmed.status_code == 200
    full = harness.client.get("/api/audit", params={"limit": 500}).json()["items"]
    assert sum(item["entity_type"] == "recovery_codes" for item in full) == 10
    summary = harness.client.get("/api/audit", params={"limit": 500, "summary": True}).json()
    assert not [item for item in summary["items"] if item["entity_type"] == "recovery_codes"]
    assert [item["event"] for item in summary["items"]].count("totp_enrolled") == 1


def test_unknown_customer_and_bad_paging_are_refused(harness: Harness) -> None:
    headers = token_headers(harness, "staff")
    missing = harness.client.get("/api/customers/999/timeline", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"] == "customer 999 not found"
    bad = harness.client.get("/api/customers/1/timeline?limit=0", headers=headers)
    assert bad.status_code == 422
    unsigned = harness.new_client().get("/api/customers/1/timeline")
    assert unsigned.status_code == 401
