"""Against a real API process: the operations guide's SQL with the sqlite3 tool on the live
database, concurrent TOTP submissions, and the `vault03 users` / `vault03 audit` commands."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
import pytest

from tests.support import IN_CI, NatsServer, free_port, port_open, wait_for
from tests.support.outbox import last_sent

PASSWORD = "correct horse battery staple"
ADMIN = "admin@example.org"
STAFF = "staff@example.org"
COOKIE = "vault03_session"  # plain-HTTP development cookie

SQLITE3 = shutil.which("sqlite3")
if SQLITE3 is None and IN_CI:
    pytest.fail("the sqlite3 command-line tool is required in CI (Debian package sqlite3)")
pytestmark = pytest.mark.skipif(SQLITE3 is None, reason="sqlite3 command-line tool not installed")


@dataclass
class LiveApi:
    url: str
    env: dict[str, str]
    database: Path
    keys_dir: Path

    def sql(self, statement: str) -> str:
        assert SQLITE3 is not None
        # As in the api image (services/api/Dockerfile): a ~/.sqliterc with `.timeout`, so the
        # tool waits for the API's write lock instead of failing with "database is locked".
        home = self.database.parent.parent / "home"
        home.mkdir(exist_ok=True)
        (home / ".sqliterc").write_text(".timeout 10000\n")
        done = subprocess.run(
            [SQLITE3, str(self.database), statement],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "HOME": str(home)},
        )
        return done.stdout

    def vault03(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", "from vault03_api.cli import main; main()", *args]
        return subprocess.run(
            command, env=self.env, input=stdin, capture_output=True, text=True, timeout=120
        )


@pytest.fixture
def live_api(tmp_path: Path, nats_server: NatsServer) -> Iterator[LiveApi]:
    port = free_port()
    env = {
        **os.environ,
        "VAULT03_API_PORT": str(port),
        "VAULT03_API_DATA_DIR": str(tmp_path / "data"),
        "VAULT03_API_KEYS_DIR": str(tmp_path / "keys"),
        "VAULT03_API_BACKUP_DIR": str(tmp_path / "backup"),
        "VAULT03_API_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "VAULT03_API_SESSION_COOKIE_SECURE": "false",
        "VAULT03_API_LOGIN_ACCOUNT_MAX_FAILURES": "100",
        "VAULT03_API_LOGIN_IP_MAX_FAILURES": "200",
        "VAULT03_NATS_URL": nats_server.url,
        "VAULT03_API_LOG_LEVEL": "WARNING",
    }
    live = LiveApi(
        f"http://127.0.0.1:{port}", env, tmp_path / "data" / "data.db", tmp_path / "keys"
    )
    created = live.vault03(
        "users",
        "create-admin",
        "--email",
        ADMIN,
        "--name",
        "Ada Admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    log = (tmp_path / "api.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "vault03_api"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for(lambda: port_open(port), timeout=30, what="the API to listen")
        yield live
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _csrf(client: httpx.Client, csrf: str) -> dict[str, str]:
    return {"X-CSRF-Token": csrf}


def _enrol(client: httpx.Client, email: str) -> tuple[str, str]:
    """Password login and TOTP enrolment; returns (secret, csrf of the full session)."""
    start = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert start.status_code == 200, start.text
    assert start.json()["stage"] == "enrol"
    headers = _csrf(client, start.json()["csrf_token"])
    secret = client.post("/api/auth/totp/enrolment", headers=headers).json()["secret"]
    done = client.post(
        "/api/auth/totp/enrolment/confirm",
        json={"code": pyotp.TOTP(secret).now()},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    return secret, done.json()["csrf_token"]


def _invite_staff(live: LiveApi, admin: httpx.Client, csrf: str) -> None:
    invited = admin.post(
        "/api/users", json={"email": STAFF, "name": "Sam Staff"}, headers=_csrf(admin, csrf)
    )
    assert invited.status_code == 201
    link = last_sent(live.database, live.keys_dir, "invitation")["context"]["link"]
    token = link.split("#token=")[1]
    response = httpx.post(
        f"{live.url}/api/auth/password/set", json={"token": token, "password": PASSWORD}
    )
    assert response.status_code == 200


def test_operations_guide_sql_on_the_live_database(live_api: LiveApi) -> None:
    live = live_api
    with httpx.Client(base_url=live.url) as admin, httpx.Client(base_url=live.url) as staff:
        _, admin_csrf = _enrol(admin, ADMIN)
        _invite_staff(live, admin, admin_csrf)
        _enrol(staff, STAFF)
        for attempt in range(2):
            wrong = httpx.post(
                f"{live.url}/api/auth/login", json={"email": STAFF, "password": f"bad {attempt}"}
            )
            assert wrong.status_code == 401

        # List all users.
        listed = live.sql("SELECT id, name, email, role, two_factor_enabled FROM users;")
        assert listed.splitlines() == [
            "1|Ada Admin|admin@example.org|admin|1",
            "2|Sam Staff|staff@example.org|staff|1",
        ]
        # Recent audit entries, newest first.
        recent = live.sql("SELECT * FROM audit_logs ORDER BY changed_at DESC LIMIT 50;")
        ids = [int(line.split("|")[0]) for line in recent.splitlines()]
        total = int(live.sql("SELECT count(*) FROM audit_logs;"))
        assert ids == sorted(ids, reverse=True) and len(ids) == min(total, 50) > 20
        # Failed login attempts.
        failed = live.sql(
            "SELECT * FROM audit_logs WHERE entity_type = 'users' AND action = 'u' "
            "ORDER BY changed_at DESC;"
        )
        failures = [line for line in failed.splitlines() if "|login_failed|" in line]
        assert len(failures) == 2
        assert all(line.split("|")[2] == "2" for line in failures)  # entity_id: the staff user
        assert '{"failed_logins":2}' in failures[0] and '{"failed_logins":1}' in failures[1]
        # Admin actions: the invitation made by user 1.
        actions = live.sql(
            "SELECT entity_type, entity_id, action, changed_by FROM audit_logs "
            "WHERE changed_by IS NOT NULL AND entity_type IN ('customers', 'users') "
            "ORDER BY changed_at DESC;"
        )
        assert "users|2|c|1" in actions.splitlines()
        assert PASSWORD not in live.sql("SELECT * FROM audit_logs;")

        # Disable the staff account behind the API's back: refused on the very next request.
        assert staff.get("/api/auth/me").status_code == 200
        live.sql("UPDATE users SET deleted_at = datetime('now') WHERE email = 'staff@example.org';")
        assert staff.get("/api/auth/me").status_code == 401
        relogin = httpx.post(
            f"{live.url}/api/auth/login", json={"email": STAFF, "password": PASSWORD}
        )
        assert relogin.status_code == 401

        # Reset the admin's 2FA the same way: the session dies, the password alone leads to
        # a new enrolment, and nothing else.
        assert admin.get("/api/users").status_code == 200
        live.sql(
            "UPDATE users SET two_factor_enabled = 0, totp_secret = NULL "
            "WHERE email = 'admin@example.org';"
        )
        assert admin.get("/api/users").status_code == 401
        _, admin_csrf = _enrol(admin, ADMIN)
        assert admin.get("/api/users").status_code == 200

    verified = live.vault03("audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout
    live.sql("UPDATE audit_logs SET changed_by = 2 WHERE id = 4;")
    broken = live.vault03("audit", "verify")
    assert broken.returncode == 1
    assert "entry id 4" in broken.stderr


def _api_token(client: httpx.Client, csrf: str) -> dict[str, str]:
    made = client.post("/api/auth/tokens", json={"name": "script"}, headers=_csrf(client, csrf))
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['token']}"}


def test_raw_sql_disable_and_2fa_reset_end_sessions_and_tokens_for_good(
    live_api: LiveApi,
) -> None:
    live = live_api
    with httpx.Client(base_url=live.url) as admin, httpx.Client(base_url=live.url) as staff:
        _, admin_csrf = _enrol(admin, ADMIN)
        _invite_staff(live, admin, admin_csrf)
        staff_secret, staff_csrf = _enrol(staff, STAFF)
        staff_token = _api_token(staff, staff_csrf)
        admin_token = _api_token(admin, admin_csrf)
        assert httpx.get(f"{live.url}/api/auth/me", headers=staff_token).status_code == 200

        # The guide's disable, then the account enabled again the same way.
        live.sql("UPDATE users SET deleted_at = datetime('now') WHERE email = 'staff@example.org';")
        assert staff.get("/api/auth/me").status_code == 401
        live.sql("UPDATE users SET deleted_at = NULL WHERE email = 'staff@example.org';")
        assert staff.get("/api/auth/me").status_code == 401
        assert httpx.get(f"{live.url}/api/auth/me", headers=staff_token).status_code == 401
        with httpx.Client(base_url=live.url) as again:  # a new login works
            start = again.post("/api/auth/login", json={"email": STAFF, "password": PASSWORD})
            assert start.json()["stage"] == "totp"
            totp = pyotp.TOTP(staff_secret)
            code = totp.at(int(totp.timecode(__import__("datetime").datetime.now())) * 30 + 30)
            done = again.post(
                "/api/auth/totp",
                json={"code": code},
                headers=_csrf(again, start.json()["csrf_token"]),
            )
            assert done.status_code == 200, done.text
            assert again.get("/api/auth/me").status_code == 200

        # The guide's 2FA reset: the session and the API token end, and stay ended after the
        # new enrolment.
        live.sql(
            "UPDATE users SET two_factor_enabled = 0, totp_secret = NULL "
            "WHERE email = 'admin@example.org';"
        )
        assert admin.get("/api/auth/me").status_code == 401
        assert httpx.get(f"{live.url}/api/auth/me", headers=admin_token).status_code == 401
        with httpx.Client(base_url=live.url) as fresh:
            _enrol(fresh, ADMIN)
            assert fresh.get("/api/users").status_code == 200
        assert httpx.get(f"{live.url}/api/auth/me", headers=admin_token).status_code == 401


async def _submit_many(live: LiveApi, pending: list[tuple[str, str]], code: str) -> list[int]:
    async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:

        async def submit(token: str, csrf: str) -> int:
            response = await client.post(
                "/api/auth/totp",
                json={"code": code},
                headers={"X-CSRF-Token": csrf, "Cookie": f"{COOKIE}={token}"},
            )
            return response.status_code

        return list(await asyncio.gather(*(submit(t, c) for t, c in pending)))


def test_twenty_concurrent_submissions_of_one_code(live_api: LiveApi) -> None:
    live = live_api
    with httpx.Client(base_url=live.url) as admin:
        secret, _ = _enrol(admin, ADMIN)
    pending = []
    for _ in range(20):
        with httpx.Client(base_url=live.url) as client:
            start = client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
            assert start.json()["stage"] == "totp"
            pending.append((client.cookies[COOKIE], start.json()["csrf_token"]))
    # The next step's code (within the drift window): surely not used by the enrolment.
    totp = pyotp.TOTP(secret)
    code = totp.at(int(totp.timecode(__import__("datetime").datetime.now())) * 30 + 30)
    statuses = asyncio.run(_submit_many(live, pending, code))
    assert statuses.count(200) == 1, statuses
    assert statuses.count(401) == 19, statuses
    replays = live.sql("SELECT count(*) FROM audit_logs WHERE event = 'totp_replay';")
    assert int(replays) == 19
    alerts = live.sql(
        "SELECT count(*) FROM deliveries WHERE channel = 'telegram' AND kind = 'security_alert';"
    )
    assert int(alerts) == 19


def test_users_commands_against_the_running_api(live_api: LiveApi) -> None:
    live = live_api
    with httpx.Client(base_url=live.url) as admin:
        _, csrf = _enrol(admin, ADMIN)
        _invite_staff(live, admin, csrf)
        listed = live.vault03("users", "list")
        assert listed.returncode == 0
        assert "admin@example.org" in listed.stdout and "staff@example.org" in listed.stdout
        with httpx.Client(base_url=live.url) as staff:
            _enrol(staff, STAFF)
            assert live.vault03("users", "disable", STAFF).returncode == 0
            assert staff.get("/api/auth/me").status_code == 401
        assert live.vault03("users", "enable", STAFF).returncode == 0
        assert live.vault03("users", "reset-2fa", ADMIN).returncode == 0
        assert admin.get("/api/auth/me").status_code == 401
        unknown = live.vault03("users", "disable", "nobody@example.org")
        assert unknown.returncode != 0 and "no user" in unknown.stderr
        reset = live.vault03("users", "force-password-reset", "--all")
        assert reset.returncode == 0 and "2 user(s)" in reset.stdout
    assert live.sql("SELECT count(*) FROM users WHERE password_hash IS NULL;").strip() == "2"
    assert live.sql("SELECT count(*) FROM deliveries WHERE kind = 'password_reset';").strip() == "2"
    entries = live.sql("SELECT user_agent FROM audit_logs WHERE event = 'password_reset_forced';")
    assert entries.split() == ["vault03-cli", "vault03-cli"]
    assert live.vault03("audit", "verify").returncode == 0
