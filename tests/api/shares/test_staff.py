"""What staff create and see: recipients and code channels, secrets kept only hashed,
delivery statuses on the share, the access log (JSON, CSV, audit) and the customer timeline."""

from __future__ import annotations

import csv
import io

from sqlmodel import select

from tests.support.identity import Harness
from tests.support.shares import create_share, enter_code, report_all_sent, staff, vault_with_files
from tests.support.vaults import token_headers
from vault03_api.shares.models import Share
from vault03_api.tokens import token_hash

THIRD = {"name": "Maître Dupont", "email": "Notaire@Example.org"}


def test_code_channel_follows_preference_and_falls_back(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {})
    customer_share = create_share(harness, headers, vault_id)
    assert customer_share.body["code_channel"] == "sms"  # the customer's preferred channel
    assert customer_share.body["recipient_email"] == "ada@example.org"
    cases = [
        ({**THIRD, "mobile": "06 11 22 33 44"}, "sms"),
        (
            {**THIRD, "address_line1": "3 quai Voltaire", "postal_code": "75007", "city": "Paris"},
            "postal",
        ),
        (THIRD, "email"),  # no phone, no address: a second, separate email
    ]
    for recipient, channel in cases:
        shared = create_share(harness, headers, vault_id, recipient=recipient)
        assert shared.body["code_channel"] == channel
        assert shared.body["third_party"] is True
        assert shared.body["recipient_email"] == "notaire@example.org"
    impossible = harness.client.post(
        f"/api/vaults/{vault_id}/shares",
        json={"recipient": THIRD, "code_channel": "sms"},
        headers=headers,
    )
    assert impossible.status_code == 400
    assert impossible.json()["error"] == "codes by sms need a mobile number for the recipient"
    no_permission = harness.client.post(
        f"/api/vaults/{vault_id}/shares", json={"permissions": []}, headers=headers
    )
    assert no_permission.status_code == 422


def test_secrets_are_stored_only_hashed_and_shown_once(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {})
    shared = create_share(harness, headers, vault_id, note="Please sign page 2")
    assert len(shared.token) >= 43  # 256 bits, base64url
    with harness.db() as session:
        row = session.exec(select(Share).where(Share.id == shared.id)).one()
    assert row.token_hash == token_hash(shared.token)
    assert row.code_hash.startswith("$argon2id$")
    again = harness.client.get(f"/api/shares/{shared.id}", headers=headers).json()
    assert "access_code" not in again and "token_hash" not in again and "code_hash" not in again
    created = harness.audit(entity_type="shares", action="c")[0]["new_values"]
    assert created["token_hash"] == "[redacted]" and created["code_hash"] == "[redacted]"
    assert again["link_delivery"]["status"] == "queued"
    assert again["link_delivery"]["channel"] == "email"
    assert again["code_delivery"]["channel"] == "sms"
    link = harness.deliveries("share_link")[0].payload
    assert link["context"]["message"] == "Please sign page 2"
    assert link["context"]["code_channel"] == "sms"
    assert shared.code.replace(" ", "") not in str(link)  # the code never travels with the link


def test_access_log_json_csv_audit_and_timeline(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, ids = vault_with_files(harness, headers, {"a.txt": b"hello"})
    shared = create_share(harness, headers, vault_id, permissions=["download", "upload"])
    browser = harness.new_client()
    browser.headers["User-Agent"] = "CustomerBrowser/1.0"
    enter_code(browser, shared, "12345678")
    enter_code(browser, shared)
    assert browser.get(f"{shared.path}/files/{ids['a.txt']}").content == b"hello"
    page = browser.get(shared.path).text
    csrf = page.split("csrf=")[1].split('"')[0]
    browser.post(
        f"{shared.path}/files?csrf={csrf}", files={"file": ("b.txt", b"back", "text/plain")}
    )

    items = harness.client.get(f"/api/shares/{shared.id}/access", headers=headers).json()["items"]
    events = [(i["event"], i["outcome"]) for i in reversed(items)]
    assert events[:4] == [
        ("code", "wrong_code"),
        ("code", "ok"),
        ("download", "ok"),
        ("view", "ok"),
    ]
    assert ("upload", "ok") in events
    assert {i["user_agent"] for i in items} == {"CustomerBrowser/1.0"}
    assert all(i["ip"] for i in items)
    exported = harness.client.get(f"/api/shares/{shared.id}/access.csv", headers=headers)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == len(items) and rows[0]["event"] == items[0]["event"]
    logged = harness.audit(entity_type="share_access", action="c")
    assert len(logged) == len(items)
    assert all(entry["changed_by"] is None for entry in logged)  # customers are not users
    assert [e["entity_id"] for e in harness.audit(entity_type="files", action="r")] == [
        ids["a.txt"]
    ]

    auditor = token_headers(harness, "auditor")
    customer_id = shared.body["customer_id"]
    timeline = harness.client.get(f"/api/customers/{customer_id}/timeline", headers=auditor)
    lines = [item["entry"] for item in timeline.json()["items"] if item["entry"]]
    said = [(e["actor"], (e["new_values"] or {}).get("event"), e["subject"]) for e in lines]
    assert ("Ada Lovelace", "upload", "b.txt") in said
    listed = harness.client.get(f"/api/customers/{customer_id}/shares", headers=auditor).json()
    assert [s["id"] for s in listed] == [shared.id]
    assert listed[0]["last_access_at"] is not None
    refused = harness.client.post(f"/api/shares/{shared.id}/revoke", headers=auditor)
    assert refused.status_code == 403


def test_sent_messages_do_not_keep_the_link_or_the_code(harness: Harness) -> None:
    from vault03_api.deliveries.sealed import NOT_KEPT

    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {})
    shared = create_share(harness, headers, vault_id)
    report_all_sent(harness)
    link, code = harness.deliveries("share_link")[0], harness.deliveries("access_code")[0]
    assert link.payload["context"]["link"] == NOT_KEPT
    assert link.payload["context"]["vault_name"] == "Tax 2026"
    assert code.payload["text"] == NOT_KEPT and code.payload["to"] == "+33612345678"
    assert shared.token not in str(link.payload)


def test_access_csv_defuses_formulas_from_link_holders(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {})
    shared = create_share(harness, headers, vault_id, permissions=["download", "upload"])
    browser = harness.new_client()
    browser.headers["User-Agent"] = '=HYPERLINK("https://evil.example","open")'
    enter_code(browser, shared)
    csrf = browser.get(shared.path).text.split("csrf=")[1].split('"')[0]
    uploaded = browser.post(
        f"{shared.path}/files?csrf={csrf}", files={"file": ("@SUM(1+1).txt", b"x", "text/plain")}
    )
    assert uploaded.status_code < 400, uploaded.text
    exported = harness.client.get(f"/api/shares/{shared.id}/access.csv", headers=headers)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {row["user_agent"] for row in rows} == {'\'=HYPERLINK("https://evil.example","open")'}
    assert "'@SUM(1+1).txt" in {row["file_name"] for row in rows}
