"""Sessions and API tokens: expiry on the controllable clock, CSRF, logout, revocation."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from tests.support.identity import CSRF, PASSWORD, Harness
from vault03_api.auth.models import AuthSession
from vault03_api.ops.housekeeping import purge_sessions

ADMIN = "admin@example.org"
STAFF = "staff@example.org"


def test_idle_timeout(harness: Harness) -> None:
    harness.create_user(STAFF)
    harness.login(STAFF)
    harness.clock.advance(minutes=29)
    assert harness.client.get("/api/auth/me").status_code == 200
    harness.clock.advance(minutes=29)  # activity above kept it alive
    assert harness.client.get("/api/auth/me").status_code == 200
    harness.clock.advance(minutes=30)
    response = harness.client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json() == {"error": "authentication required", "detail": None}


def test_absolute_timeout_despite_activity(harness: Harness) -> None:
    harness.create_user(STAFF)
    harness.login(STAFF)
    for _ in range(12 * 3 - 2):
        harness.clock.advance(minutes=20)
        assert harness.client.get("/api/auth/me").status_code == 200
    harness.clock.advance(minutes=41)  # 12 h after login, 20 min after the last request
    assert harness.client.get("/api/auth/me").status_code == 401


def test_pending_login_expires_quickly(harness: Harness) -> None:
    harness.create_user(STAFF)
    start = harness.client.post("/api/auth/login", json={"email": STAFF, "password": PASSWORD})
    harness.clock.advance(minutes=5, seconds=1)
    response = harness.client.post(
        "/api/auth/totp",
        json={"code": harness.code(STAFF)},
        headers={CSRF: start.json()["csrf_token"]},
    )
    assert response.status_code == 401


def test_logout_ends_the_session(harness: Harness) -> None:
    harness.create_user(STAFF)
    csrf = harness.login(STAFF)
    token = harness.client.cookies["__Host-vault03_session"]
    assert harness.client.post("/api/auth/logout", headers={CSRF: csrf}).status_code == 204
    harness.client.cookies.set("__Host-vault03_session", token)
    assert harness.client.get("/api/auth/me").status_code == 401
    assert harness.audit(entity_type="sessions", action="d", event="logout")


def test_csrf_is_required_on_cookie_writes(harness: Harness) -> None:
    harness.create_user(STAFF)
    csrf = harness.login(STAFF)
    body = {"name": "script"}
    assert harness.client.post("/api/auth/tokens", json=body).status_code == 403
    wrong = harness.client.post("/api/auth/tokens", json=body, headers={CSRF: "nope"})
    assert wrong.status_code == 403 and "X-CSRF-Token" in wrong.json()["error"]
    foreign = harness.client.post(
        "/api/auth/tokens", json=body, headers={CSRF: csrf, "Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    own = harness.client.post(
        "/api/auth/tokens",
        json=body,
        headers={CSRF: csrf, "Origin": "https://vault.example.org"},
    )
    assert own.status_code == 201
    # Reads need no token; a bearer token needs none either (no ambient credential).
    assert harness.client.get("/api/auth/tokens").status_code == 200
    bearer = own.json()["token"]
    script = harness.new_client()
    response = script.post(
        "/api/auth/tokens", json=body, headers={"Authorization": f"Bearer {bearer}"}
    )
    assert response.status_code == 201


def test_csrf_token_of_another_session_is_refused(harness: Harness) -> None:
    harness.create_user(STAFF)
    other = harness.new_client()
    other_csrf = harness.login(STAFF, client=other)
    harness.login(STAFF)
    response = harness.client.post(
        "/api/auth/tokens", json={"name": "x"}, headers={CSRF: other_csrf}
    )
    assert response.status_code == 403


def test_api_token_lifecycle(harness: Harness) -> None:
    harness.create_user(STAFF)
    csrf = harness.login(STAFF)
    created = harness.client.post(
        "/api/auth/tokens",
        json={"name": "backup script", "expires_in_days": 2},
        headers={CSRF: csrf},
    ).json()
    secret = created["token"]
    assert secret.startswith("v03_") and created["prefix"] == secret[:10]
    assert secret not in str(harness.sql("SELECT * FROM api_tokens"))
    listed = harness.client.get("/api/auth/tokens").json()
    assert [t["name"] for t in listed] == ["backup script"] and "token" not in listed[0]
    script = harness.new_client()
    auth = {"Authorization": f"Bearer {secret}"}
    assert script.get("/api/auth/me", headers=auth).json()["user"]["email"] == STAFF
    assert (
        script.get("/api/auth/me", headers={"Authorization": "Bearer v03_forged"}).status_code
        == 401
    )
    harness.clock.advance(days=2)
    assert script.get("/api/auth/me", headers=auth).status_code == 401
    harness.clock.advance(days=-2)
    deleted = harness.client.delete(f"/api/auth/tokens/{created['id']}", headers={CSRF: csrf})
    assert deleted.status_code == 204
    assert script.get("/api/auth/me", headers=auth).status_code == 401


def test_password_change_ends_other_sessions_and_tokens(harness: Harness) -> None:
    harness.create_user(STAFF)
    other = harness.new_client()
    harness.login(STAFF, client=other)
    csrf = harness.login(STAFF)
    token = harness.client.post(
        "/api/auth/tokens", json={"name": "t"}, headers={CSRF: csrf}
    ).json()["token"]
    short = harness.client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers={CSRF: csrf},
    )
    assert short.status_code == 400
    wrong = harness.client.post(
        "/api/auth/password",
        json={"current_password": "not it", "new_password": "a brand new passphrase"},
        headers={CSRF: csrf},
    )
    assert wrong.status_code == 401
    changed = harness.client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers={CSRF: csrf},
    )
    assert changed.status_code == 200, changed.text
    assert harness.client.get("/api/auth/me").status_code == 200  # this session was renewed
    assert other.get("/api/auth/me").status_code == 401
    bearer = harness.new_client().get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 401
    assert (
        harness.client.post(
            "/api/auth/login", json={"email": STAFF, "password": PASSWORD}
        ).status_code
        == 401
    )


def test_enrolment_is_forced_and_confirmed_by_a_first_code(harness: Harness) -> None:
    harness.create_user(ADMIN, role="admin", two_factor=False)
    start = harness.client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
    assert start.json()["stage"] == "enrol"
    csrf = {CSRF: start.json()["csrf_token"]}
    assert harness.client.get("/api/users").status_code == 403
    enrolment = harness.client.post("/api/auth/totp/enrolment", headers=csrf).json()
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/VAULT03:")
    assert enrolment["qr_svg"].startswith("<svg")
    sealed = harness.sql("SELECT totp_pending_secret, two_factor_enabled FROM users")[0]
    assert sealed[0].startswith("v1:") and enrolment["secret"] not in sealed[0] and sealed[1] == 0
    harness.created[ADMIN] = enrolment["secret"]
    bad = harness.client.post(
        "/api/auth/totp/enrolment/confirm", json={"code": "123456"}, headers=csrf
    )
    assert bad.status_code == 401
    good = harness.client.post(
        "/api/auth/totp/enrolment/confirm", json={"code": harness.code(ADMIN)}, headers=csrf
    )
    assert good.status_code == 200 and good.json()["stage"] == "full"
    assert harness.client.get("/api/users").status_code == 200
    row = harness.sql("SELECT totp_secret, two_factor_enabled FROM users")[0]
    assert row[1] == 1 and row[0].startswith("v1:")
    # The enrolment code is spent: it cannot log in a second time.
    again = harness.new_client()
    start = again.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
    assert start.json()["stage"] == "totp"
    replay = again.post(
        "/api/auth/totp",
        json={"code": harness.code(ADMIN)},
        headers={CSRF: start.json()["csrf_token"]},
    )
    assert replay.status_code == 401


def test_totp_optional_for_roles_not_configured(tmp_path, fake_clock) -> None:  # type: ignore[no-untyped-def]
    from tests.support.identity import harness_for, make_settings

    settings = make_settings(tmp_path, totp_required_roles=["admin"])
    for h in harness_for(settings, fake_clock):
        h.create_user(STAFF, two_factor=False)
        h.create_user(ADMIN, role="admin", two_factor=False)
        staff = h.client.post("/api/auth/login", json={"email": STAFF, "password": PASSWORD})
        assert staff.json()["stage"] == "full"
        admin = h.new_client().post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
        assert admin.json()["stage"] == "enrol"


def test_development_cookie_without_secure(tmp_path, fake_clock) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from tests.support.identity import harness_for, make_settings

    settings = make_settings(tmp_path, session_cookie_secure=False)
    for h in harness_for(settings, fake_clock):
        h.create_user(STAFF)
        plain = TestClient(h.client.app, base_url="http://127.0.0.1")
        response = plain.post("/api/auth/login", json={"email": STAFF, "password": PASSWORD})
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("vault03_session=") and "secure" not in cookie.lower()


def test_production_refuses_insecure_cookie(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest
    from pydantic import ValidationError

    from tests.support.identity import make_settings

    with pytest.raises(ValidationError, match="session_cookie_secure"):
        make_settings(tmp_path, environment="production", session_cookie_secure=False)


def test_housekeeping_drops_idle_and_expired_sessions_only(harness: Harness) -> None:
    other = "other@example.org"
    harness.create_user(STAFF)
    other_id = harness.create_user(other)
    harness.login(STAFF)
    with harness.db() as session:
        before = len(session.exec(select(AuthSession)).all())
    harness.clock.advance(minutes=31)  # STAFF's sessions are idle past the 30 minutes now
    harness.client.cookies.clear()
    harness.login(other)
    engine = harness.state.engine
    assert purge_sessions(engine, idle=timedelta(minutes=30)) == before
    assert purge_sessions(engine, idle=timedelta(minutes=30)) == 0
    with harness.db() as session:
        remaining = session.exec(select(AuthSession)).all()
    assert remaining
    assert {row.user_id for row in remaining} == {other_id}
    assert harness.client.get("/api/auth/me").status_code == 200  # the live one still works
    harness.clock.advance(hours=13)  # past the absolute limit, whatever the activity
    assert purge_sessions(engine, idle=timedelta(days=1)) == len(remaining)
