"""A dead letter raises a Telegram alert: API, email worker and notifier as real processes."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pysqlite3.dbapi2 as sqlite
import pytest

from tests.support import NatsServer, free_port, port_open, wait_for
from tests.support.fakes import BREVO_KEY, TELEGRAM_TOKEN, fake_brevo, fake_telegram

pytestmark = pytest.mark.fleet


@contextlib.contextmanager
def processes(commands: dict[str, tuple[list[str], dict[str, str]]], logs: Path) -> Iterator[None]:
    started: list[subprocess.Popen[bytes]] = []
    try:
        for name, (command, env) in commands.items():
            with open(logs / f"{name}.log", "wb") as output:
                started.append(
                    subprocess.Popen(
                        command, env={**os.environ, **env}, stdout=output, stderr=output
                    )
                )
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)


def test_dead_email_is_alerted_on_telegram(nats_server: NatsServer, tmp_path: Path) -> None:
    api_env = {
        "VAULT03_NATS_URL": nats_server.url,
        "VAULT03_API_PORT": str(free_port()),
        "VAULT03_API_DATA_DIR": str(tmp_path / "data"),
        "VAULT03_API_KEYS_DIR": str(tmp_path / "keys"),
        "VAULT03_API_BACKUP_DIR": str(tmp_path / "backup"),
    }
    with fake_brevo() as brevo, fake_telegram() as telegram:
        email_env = {
            "VAULT03_NATS_URL": nats_server.url,
            "VAULT03_EMAIL_HTTP_PORT": str(free_port()),
            "VAULT03_EMAIL_BREVO_API_KEY": BREVO_KEY,
            "VAULT03_EMAIL_BREVO_BASE_URL": f"{brevo.url}/v3",
        }
        notifier_env = {
            "VAULT03_NATS_URL": nats_server.url,
            "VAULT03_NOTIFIER_HTTP_PORT": str(free_port()),
            "VAULT03_NOTIFIER_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "VAULT03_NOTIFIER_TELEGRAM_BASE_URL": telegram.url,
            "VAULT03_NOTIFIER_CHAT_IDS": '["-100777"]',
        }
        commands = {
            "api": ([sys.executable, "-m", "vault03_api"], api_env),
            "email": ([sys.executable, "-m", "vault03_email"], email_env),
            "notifier": ([sys.executable, "-m", "vault03_notifier"], notifier_env),
        }
        with processes(commands, tmp_path):
            # The API listens once its migrations have run: only then can the CLI enqueue.
            api_port = int(api_env["VAULT03_API_PORT"])
            wait_for(lambda: port_open(api_port), timeout=60, what="the API to listen")
            queued = subprocess.run(
                [
                    str(Path(sys.executable).parent / "vault03"),
                    "deliveries",
                    "send-test",
                    "--channel",
                    "email",
                    "--to",
                    "nobody@localhost",
                ],
                env={**os.environ, **api_env},
                capture_output=True,
                text=True,
                check=True,
            )
            delivery_id = queued.stdout.strip()
            alert = wait_for(
                lambda: next(
                    (m for m in telegram.state.accepted if delivery_id in m["visible"]), None
                ),
                timeout=60,
                what="the dead-letter alert on Telegram",
            )
    assert alert["chat_id"] == "-100777"
    assert "invalid_parameter: to.email is invalid" in alert["visible"]
    assert brevo.state.accepted == []
    with contextlib.closing(sqlite.connect(tmp_path / "data" / "data.db")) as db:
        status, last_error = db.execute(
            "SELECT status, last_error FROM deliveries WHERE id = ?", (delivery_id,)
        ).fetchone()
        alert_status = db.execute(
            "SELECT status FROM deliveries WHERE kind = 'dead_letter_alert'"
        ).fetchone()[0]
    assert status == "dead"
    assert "brevo answered 400: invalid_parameter: to.email is invalid" in last_error
    assert alert_status in ("published", "sent")
