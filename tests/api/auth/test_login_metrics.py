"""Failed logins are counted for Prometheus (the VaultLoginFailuresBurst alert)."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.support.identity import CSRF, PASSWORD, Harness

EMAIL = "staff@example.org"


def failures(step: str) -> float:
    value = REGISTRY.get_sample_value("vault03_login_failures_total", {"step": step})
    return value or 0.0


def test_each_failed_login_step_is_counted_and_exported(harness: Harness) -> None:
    harness.create_user(EMAIL)
    before = {step: failures(step) for step in ("login_failed", "totp_failed")}
    wrong = {"email": EMAIL, "password": "not the password"}
    assert harness.client.post("/api/auth/login", json=wrong).status_code == 401
    unknown = {"email": "nobody@example.org", "password": "whatever it is"}
    assert harness.client.post("/api/auth/login", json=unknown).status_code == 401
    assert failures("login_failed") == before["login_failed"] + 2
    step = harness.client.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
    accepted = {harness.code(EMAIL, steps=steps) for steps in (-1, 0, 1)}
    wrong_code = next(
        code for code in ("000000", "111111", "222222", "333333") if code not in accepted
    )
    bad_code = harness.client.post(
        "/api/auth/totp", json={"code": wrong_code}, headers={CSRF: step.json()["csrf_token"]}
    )
    assert bad_code.status_code == 401
    assert failures("totp_failed") == before["totp_failed"] + 1
    harness.login(EMAIL)  # a good login counts nothing
    assert failures("login_failed") == before["login_failed"] + 2
    exported = harness.client.get("/metrics").text
    assert 'vault03_login_failures_total{step="login_failed"}' in exported
