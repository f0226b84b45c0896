"""The admins' system status: health checks, the delivery queue, the last good backups."""

from __future__ import annotations

from datetime import timedelta

from tests.support.identity import CSRF, Harness, fake_clock, harness
from vault03_api.ops.backup import write_marker

__all__ = ["fake_clock", "harness"]

ADMIN = "admin@example.org"


def _admin(harness: Harness) -> dict[str, str]:
    harness.create_user(ADMIN, role="admin")
    return {CSRF: harness.login(ADMIN)}


def _invite(harness: Harness, headers: dict[str, str], email: str) -> None:
    invited = harness.client.post("/api/users", json={"email": email, "name": "N"}, headers=headers)
    assert invited.status_code == 201, invited.text


def test_status_counts_the_queue_and_names_dead_letters(harness: Harness) -> None:
    headers = _admin(harness)
    for email in ("one@example.org", "two@example.org", "three@example.org"):
        _invite(harness, headers, email)
    harness.sql(
        "UPDATE deliveries SET status = 'dead', attempts = 5, last_error = 'mailbox full'"
        " WHERE recipient = 'two@example.org'"
    )
    harness.sql("UPDATE deliveries SET status = 'sent' WHERE recipient = 'three@example.org'")
    harness.clock.advance(minutes=3)

    response = harness.client.get("/api/status")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body["checks"]) == {"database", "migrations", "disk", "nats"}
    assert body["checks"]["database"]["status"] == "ok"
    queue = body["deliveries"]
    assert queue["by_status"] == {
        "queued": 1,
        "published": 0,
        "retrying": 0,
        "sent": 1,
        "delivered": 0,
        "failed": 0,
        "dead": 1,
    }
    assert queue["waiting"] == 1
    assert queue["oldest_waiting_seconds"] >= 180
    [dead] = queue["dead_letters"]
    assert dead["recipient"] == "two@example.org"
    assert (dead["channel"], dead["kind"]) == ("email", "invitation")
    assert (dead["attempts"], dead["last_error"]) == (5, "mailbox full")


def test_status_gives_each_kind_of_backup_and_whether_it_is_too_old(harness: Harness) -> None:
    _admin(harness)
    assert harness.client.get("/api/status").json()["backups"] == []
    root = harness.state.settings.backup_dir
    now = harness.clock.now
    write_marker(root, "local", now - timedelta(hours=2))
    write_marker(root, "offsite", now - timedelta(hours=30))
    body = harness.client.get("/api/status").json()
    assert body["backup_max_age_hours"] == 26
    backups = {backup["kind"]: backup for backup in body["backups"]}
    assert set(backups) == {"local", "offsite"}
    assert backups["local"]["too_old"] is False
    assert backups["offsite"]["too_old"] is True
    assert backups["local"]["last_success_at"].startswith(
        (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    )


def test_only_admins_read_the_status(harness: Harness) -> None:
    assert harness.client.get("/api/status").status_code == 401
    for role in ("staff", "auditor"):
        email = f"{role}@example.org"
        harness.create_user(email, role=role)
        client = harness.new_client()
        harness.login(email, client=client)
        refused = client.get("/api/status")
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]
