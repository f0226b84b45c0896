"""User administration through the API (admins only)."""

from __future__ import annotations

from tests.support.identity import CSRF, PASSWORD, Harness
from tests.support.outbox import sent_payload
from vault03_api.deliveries.service import delivery_event
from vault03_email.render import render_email
from vault03_email.settings import EmailSettings

ADMIN = "admin@example.org"
STAFF = "staff@example.org"


def _admin(harness: Harness) -> dict[str, str]:
    harness.create_user(ADMIN, role="admin")
    return {CSRF: harness.login(ADMIN)}


def _link_token(harness: Harness, kind: str) -> str:
    delivery = harness.deliveries(kind)[-1]
    link = sent_payload(delivery, harness.state.keyring)["context"]["link"]
    assert link.startswith("https://vault.example.org/set-password#token=")
    return str(link.split("#token=")[1])


def test_invitation_sets_a_password_once(harness: Harness) -> None:
    headers = _admin(harness)
    invited = harness.client.post(
        "/api/users",
        json={"email": "New.Person@Example.org", "name": "New Person", "role": "auditor"},
        headers=headers,
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["email"] == "new.person@example.org"
    delivery = harness.deliveries("invitation")[0]
    assert delivery.channel == "email" and delivery.recipient == "new.person@example.org"
    payload = delivery.payload
    assert payload["template"] == "staff_invitation"
    assert set(payload["context"]) == {
        "link",
        "inviter_name",
        "role",
        "expires_at",
        "office",
        "language",
    }
    assert payload["context"]["office"]["name"] == harness.state.settings.office.name
    assert payload["context"]["inviter_name"] == harness.user(ADMIN).name
    assert payload["context"]["role"] == "auditor"
    assert payload["context"]["language"] == harness.state.settings.language  # the office's
    token = _link_token(harness, "invitation")
    assert token not in str(harness.sql("SELECT * FROM user_tokens"))
    anonymous = harness.new_client()
    weak = anonymous.post("/api/auth/password/set", json={"token": token, "password": "short"})
    assert weak.status_code == 400
    done = anonymous.post("/api/auth/password/set", json={"token": token, "password": PASSWORD})
    assert done.status_code == 200
    again = anonymous.post("/api/auth/password/set", json={"token": token, "password": PASSWORD})
    assert again.status_code == 400
    login = anonymous.post(
        "/api/auth/login", json={"email": "new.person@example.org", "password": PASSWORD}
    )
    assert login.json()["stage"] == "enrol"
    duplicate = harness.client.post(
        "/api/users", json={"email": "new.person@example.org", "name": "X"}, headers=headers
    )
    assert duplicate.status_code == 409


def test_invitation_link_expires(harness: Harness) -> None:
    headers = _admin(harness)
    harness.client.post("/api/users", json={"email": STAFF, "name": "S"}, headers=headers)
    token = _link_token(harness, "invitation")
    harness.clock.advance(hours=72)
    response = harness.new_client().post(
        "/api/auth/password/set", json={"token": token, "password": PASSWORD}
    )
    assert response.status_code == 400


def test_forgot_password_answers_alike(harness: Harness) -> None:
    harness.create_user(STAFF)
    known = harness.client.post("/api/auth/password/forgot", json={"email": STAFF})
    unknown = harness.client.post("/api/auth/password/forgot", json={"email": "x@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(harness.deliveries("password_reset")) == 1
    harness.client.post("/api/auth/password/forgot", json={"email": STAFF})
    assert len(harness.deliveries("password_reset")) == 1  # no mail bombing
    token = _link_token(harness, "password_reset")
    assert harness.deliveries("password_reset")[0].payload["template"] == "password_reset"
    response = harness.client.post(
        "/api/auth/password/set", json={"token": token, "password": "my new long password"}
    )
    assert response.status_code == 200
    assert (
        harness.client.post(
            "/api/auth/login", json={"email": STAFF, "password": "my new long password"}
        ).status_code
        == 200
    )


def test_role_change_applies_on_the_next_request(harness: Harness) -> None:
    headers = _admin(harness)
    staff_id = harness.create_user(STAFF)
    staff = harness.new_client()
    harness.login(STAFF, client=staff)
    assert staff.get("/api/audit").status_code == 403
    changed = harness.client.patch(
        f"/api/users/{staff_id}", json={"role": "auditor"}, headers=headers
    )
    assert changed.status_code == 200 and changed.json()["role"] == "auditor"
    assert staff.get("/api/audit").status_code == 200
    bad = harness.client.patch(f"/api/users/{staff_id}", json={"role": "root"}, headers=headers)
    assert bad.status_code == 422


def test_the_last_admin_cannot_be_demoted_or_disabled(harness: Harness) -> None:
    headers = _admin(harness)
    admin_id = harness.user(ADMIN).id
    demote = harness.client.patch(f"/api/users/{admin_id}", json={"role": "staff"}, headers=headers)
    assert demote.status_code == 409
    disable = harness.client.post(f"/api/users/{admin_id}/disable", headers=headers)
    assert disable.status_code == 409


def test_disable_and_enable(harness: Harness) -> None:
    headers = _admin(harness)
    staff_id = harness.create_user(STAFF)
    staff = harness.new_client()
    harness.login(STAFF, client=staff)
    assert harness.client.post(f"/api/users/{staff_id}/disable", headers=headers).status_code == 200
    assert staff.get("/api/auth/me").status_code == 401
    login = harness.new_client().post(
        "/api/auth/login", json={"email": STAFF, "password": PASSWORD}
    )
    assert login.status_code == 401
    assert harness.client.post(f"/api/users/{staff_id}/enable", headers=headers).status_code == 200
    harness.login(STAFF, client=harness.new_client())


def test_reset_two_factor(harness: Harness) -> None:
    headers = _admin(harness)
    staff_id = harness.create_user(STAFF)
    staff = harness.new_client()
    harness.login(STAFF, client=staff)
    response = harness.client.post(f"/api/users/{staff_id}/reset-2fa", headers=headers)
    assert response.status_code == 200 and response.json()["two_factor_enabled"] is False
    assert staff.get("/api/auth/me").status_code == 401
    again = harness.new_client().post(
        "/api/auth/login", json={"email": STAFF, "password": PASSWORD}
    )
    assert again.json()["stage"] == "enrol"
    entry = harness.audit(event="two_factor_reset")[0]
    assert entry["old_values"]["totp_secret"] == "[redacted]"
    assert entry["new_values"]["totp_secret"] is None
    assert entry["changed_by"] == harness.user(ADMIN).id


def test_force_password_reset_for_everyone(harness: Harness) -> None:
    headers = _admin(harness)
    harness.create_user(STAFF)
    staff = harness.new_client()
    harness.login(STAFF, client=staff)
    response = harness.client.post("/api/users/force-password-reset", headers=headers)
    assert response.json() == {"users": 2}
    assert staff.get("/api/auth/me").status_code == 401
    assert harness.client.get("/api/auth/me").status_code == 401  # the admin's own too
    for email in (ADMIN, STAFF):
        old = harness.new_client().post(
            "/api/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert old.status_code == 401
    assert sorted(d.recipient for d in harness.deliveries("password_reset")) == [ADMIN, STAFF]


def test_the_invitation_renders_with_the_email_worker(harness: Harness) -> None:
    headers = _admin(harness)
    harness.client.post(
        "/api/users", json={"email": STAFF, "name": "Sam Staff", "role": "staff"}, headers=headers
    )
    invitation = harness.deliveries("invitation")[0]
    email = render_email(delivery_event(invitation, ring=harness.state.keyring), EmailSettings())
    assert f"#token={_link_token(harness, 'invitation')}" in email.text
    assert f"{harness.user(ADMIN).name} has invited you" in email.text
    office = harness.state.settings.office
    assert email.to == STAFF and email.subject == f"Your account at {office.name}"
