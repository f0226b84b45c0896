"""Login: password then TOTP, cookies, enumeration, replay, lockout, rehash, recovery codes."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2 import Type as Argon2Type

from tests.support.identity import CSRF, PASSWORD, Harness
from vault03_api.passwords import Passwords

ADMIN = "admin@example.org"


def _login(h: Harness, email: str, password: str = PASSWORD) -> tuple[int, dict, dict]:
    response = h.client.post("/api/auth/login", json={"email": email, "password": password})
    headers = {k: v for k, v in response.headers.items() if k.lower() not in {"date"}}
    return response.status_code, response.json(), headers


def test_login_with_password_then_totp_gives_a_full_session(harness: Harness) -> None:
    harness.create_user(ADMIN, role="admin")
    first = harness.client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
    assert first.status_code == 200
    assert first.json()["stage"] == "totp"
    # A half-logged-in session reaches nothing but the second step.
    assert harness.client.get("/api/users").status_code == 403
    second = harness.client.post(
        "/api/auth/totp",
        json={"code": harness.code(ADMIN)},
        headers={CSRF: first.json()["csrf_token"]},
    )
    assert second.status_code == 200, second.text
    assert second.json()["stage"] == "full"
    assert first.cookies["__Host-vault03_session"] != second.cookies["__Host-vault03_session"]
    assert harness.client.get("/api/users").status_code == 200
    assert harness.user(ADMIN).last_login_at == harness.clock.now


def test_session_cookie_attributes(harness: Harness) -> None:
    harness.create_user(ADMIN, role="admin")
    response = harness.client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
    cookie = response.headers["set-cookie"]
    name, _, rest = cookie.partition("=")
    assert name == "__Host-vault03_session"
    attributes = {part.strip().split("=")[0].lower() for part in rest.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert "domain" not in attributes
    token = rest.split(";")[0]
    assert len(token) >= 43  # 256 bits, base64url
    stored = harness.sql("SELECT token_hash FROM sessions")[0][0]
    assert token not in stored  # only a hash is kept


def test_every_login_gets_a_new_token(harness: Harness) -> None:
    harness.create_user(ADMIN, role="admin")
    tokens = set()
    for _ in range(3):
        harness.login(ADMIN)
        tokens.add(harness.client.cookies["__Host-vault03_session"])
    assert len(tokens) == 3


def test_unknown_email_and_wrong_password_answer_alike(
    harness: Harness, monkeypatch: object
) -> None:
    harness.create_user(ADMIN, role="admin")
    harness.create_user("gone@example.org")
    harness.sql("UPDATE users SET deleted_at = datetime('now') WHERE email = 'gone@example.org'")
    checked: list[str | None] = []
    original = Passwords.verify_now

    def spy(self: Passwords, stored: str | None, password: str):  # type: ignore[no-untyped-def]
        checked.append(stored)
        return original(self, stored, password)

    harness.client.app.state.vault03.passwords.verify_now = spy.__get__(  # type: ignore[attr-defined]
        harness.state.passwords
    )
    unknown = _login(harness, "nobody@example.org")
    wrong = _login(harness, ADMIN, "not the password")
    disabled = _login(harness, "gone@example.org")
    assert unknown[0] == wrong[0] == disabled[0] == 401
    assert (
        unknown[1]
        == wrong[1]
        == disabled[1]
        == {
            "error": "invalid email or password",
            "detail": None,
        }
    )
    assert unknown[2] == wrong[2] == disabled[2]
    # Same work either way: exactly one argon2 verification per attempt, the unknown
    # account against a dummy hash made with the same parameters.
    assert len(checked) == 3
    assert checked[0] is None and checked[1] is not None and checked[2] is None
    dummy = harness.state.passwords._dummy
    assert PasswordHasher().check_needs_rehash(dummy) is False or dummy.startswith("$argon2id$")
    assert dummy.split("$")[3] == harness.user(ADMIN).password_hash.split("$")[3]  # type: ignore[union-attr]


def test_password_hash_is_argon2id_at_or_above_policy(harness: Harness) -> None:
    harness.create_user(ADMIN, role="admin")
    stored = harness.user(ADMIN).password_hash
    assert stored is not None and stored.startswith("$argon2id$")
    params = dict(part.split("=") for part in stored.split("$")[3].split(","))
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2 and int(params["p"]) >= 1


def test_rehash_on_login_when_parameters_rise(harness: Harness) -> None:
    harness.create_user(ADMIN, role="admin", password=None)
    old = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Argon2Type.ID)
    harness.sql(
        "UPDATE users SET password_hash = :h WHERE email = :e", h=old.hash(PASSWORD), e=ADMIN
    )
    # Raise the policy on the running app: t=3 from now on.
    passwords = harness.state.passwords
    passwords.hasher = PasswordHasher(
        time_cost=3, memory_cost=19456, parallelism=1, type=Argon2Type.ID
    )
    harness.login(ADMIN)
    assert ",t=3," in f",{harness.user(ADMIN).password_hash.split('$')[3]},"  # type: ignore[union-attr]
    assert harness.audit(event="password_rehashed")


def test_totp_code_is_accepted_once(harness: Harness) -> None:
    harness.create_user(ADMIN, role="admin")
    code = harness.code(ADMIN)
    first = harness.client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
    ok = harness.client.post(
        "/api/auth/totp", json={"code": code}, headers={CSRF: first.json()["csrf_token"]}
    )
    assert ok.status_code == 200
    other = harness.new_client()
    again = other.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
    replay = other.post(
        "/api/auth/totp", json={"code": code}, headers={CSRF: again.json()["csrf_token"]}
    )
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid or already used code"
    entries = harness.audit(entity_type="users", action="u", event="totp_replay")
    assert len(entries) == 1 and entries[0]["entity_id"] == str(harness.user(ADMIN).id)
    alerts = [d for d in harness.deliveries("security_alert") if "replayed" in d.payload["text"]]
    assert len(alerts) == 1 and alerts[0].channel == "telegram"
    # An earlier code within the drift window is refused too once a later one was used.
    older = other.post(
        "/api/auth/totp",
        json={"code": harness.code(ADMIN, steps=-1)},
        headers={CSRF: again.json()["csrf_token"]},
    )
    assert older.status_code == 401
    # The next step's code works.
    harness.clock.advance(seconds=30)
    fresh = other.post(
        "/api/auth/totp",
        json={"code": harness.code(ADMIN)},
        headers={CSRF: again.json()["csrf_token"]},
    )
    assert fresh.status_code == 200


def test_totp_drift_of_one_step_but_not_two(harness: Harness) -> None:
    harness.create_user(ADMIN, role="admin")
    for steps, expected in ((-2, 401), (2, 401), (1, 200)):
        client = harness.new_client()
        start = client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
        response = client.post(
            "/api/auth/totp",
            json={"code": harness.code(ADMIN, steps=steps)},
            headers={CSRF: start.json()["csrf_token"]},
        )
        assert response.status_code == expected, steps


def test_lockout_with_timed_release(harness: Harness) -> None:
    harness.create_user(ADMIN, role="admin")
    for attempt in range(5):
        status, _, _ = _login(harness, ADMIN, f"wrong {attempt}")
        assert status == 401
    user = harness.user(ADMIN)
    assert user.failed_logins == 5 and user.locked_until is not None
    # Locked: even the right password gets 429 with Retry-After.
    response = harness.client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert response.json()["detail"]["retry_after"] == int(response.headers["Retry-After"])
    # Every failure is on the user row and in the audit log as the guide's query expects.
    failed = harness.audit(entity_type="users", action="u", event="login_failed")
    assert [entry["new_values"]["failed_logins"] for entry in failed] == [1, 2, 3, 4, 5]
    alerts = harness.deliveries("security_alert")
    assert len(alerts) == 1 and "account:admin@example.org" in alerts[0].payload["text"]
    told = harness.deliveries("account_locked")  # the owner hears of it, by email
    assert [d.recipient for d in told] == [ADMIN]
    assert told[0].payload["template"] == "security_alert"
    assert "refused until" in told[0].payload["context"]["action"]
    harness.clock.advance(minutes=14)
    assert _login(harness, ADMIN)[0] == 429
    harness.clock.advance(minutes=1, seconds=1)
    csrf = harness.login(ADMIN)
    assert csrf
    user = harness.user(ADMIN)
    assert user.failed_logins == 0 and user.locked_until is None


def test_lockout_of_unknown_account_looks_the_same(harness: Harness) -> None:
    for attempt in range(5):
        assert _login(harness, "ghost@example.org", f"wrong {attempt}")[0] == 401
    status, body, headers = _login(harness, "ghost@example.org")
    assert status == 429 and body["error"] == "too many failed attempts; try again later"
    assert "retry-after" in headers
    unknown = harness.audit(entity_type="users", action="u", event="login_failed")
    assert len(unknown) == 5 and unknown[0]["entity_id"] is None
    assert unknown[0]["new_values"] == {"email": "ghost@example.org"}


def test_per_address_throttle(harness: Harness) -> None:
    for attempt in range(20):
        assert _login(harness, f"user{attempt}@example.org", "wrong")[0] == 401
    status, _, headers = _login(harness, "someone@example.org", "wrong")
    assert status == 429 and int(headers["retry-after"]) > 0
    assert any("ip:testclient" in d.payload["text"] for d in harness.deliveries("security_alert"))


def test_failed_totp_codes_count_towards_the_lockout(harness: Harness) -> None:
    harness.create_user(ADMIN, role="admin")
    start = harness.client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
    headers = {CSRF: start.json()["csrf_token"]}
    statuses = [
        harness.client.post("/api/auth/totp", json={"code": "000000"}, headers=headers).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    assert len(harness.audit(event="totp_failed")) == 5


def test_recovery_code_works_once(harness: Harness) -> None:
    harness.create_user(ADMIN, role="admin", two_factor=False)
    start = harness.client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
    csrf = {CSRF: start.json()["csrf_token"]}
    secret = harness.client.post("/api/auth/totp/enrolment", headers=csrf).json()["secret"]
    harness.created[ADMIN] = secret
    enrolled = harness.client.post(
        "/api/auth/totp/enrolment/confirm", json={"code": harness.code(ADMIN)}, headers=csrf
    ).json()
    codes = enrolled["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = [row[0] for row in harness.sql("SELECT code_hash FROM recovery_codes")]
    assert not set(codes) & set(stored)
    for expected in (200, 401):
        client = harness.new_client()
        start = client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
        used = client.post(
            "/api/auth/recovery",
            json={"code": codes[3].lower()},
            headers={CSRF: start.json()["csrf_token"]},
        )
        assert used.status_code == expected


def test_parallel_correct_logins_lock_nobody_out(harness: Harness) -> None:
    from concurrent.futures import ThreadPoolExecutor

    harness.create_user(ADMIN, role="admin")

    def attempt(_: int) -> int:
        client = harness.new_client()
        body = {"email": ADMIN, "password": PASSWORD}
        return client.post("/api/auth/login", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(attempt, range(16)))
    # Some may be told to retry in a second while the budget is in flight; none locks.
    assert set(statuses) <= {200, 429} and statuses.count(200) >= 5
    assert harness.user(ADMIN).locked_until is None
    assert (
        harness.client.post(
            "/api/auth/login", json={"email": ADMIN, "password": PASSWORD}
        ).status_code
        == 200
    )
