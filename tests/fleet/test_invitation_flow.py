"""An admin invites a colleague across the real fleet (API and email worker as processes):
the invitation email lands in the email sink with its link, and the token in that link
sets the colleague's password."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests.support import NatsServer, wait_for
from tests.support.fleet import Fleet, running_fleet
from tests.support.live_shares import staff_api_token
from vault03_api.settings import DEVELOPMENT_OFFICE

pytestmark = pytest.mark.fleet

ADMIN = "claire.martin@example.org"
COLLEAGUE = "sam.staff@example.org"
PASSWORD = "a long and new passphrase"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/set-password#token=([A-Za-z0-9_-]+))")


@pytest.fixture
def fleet(tmp_path: Path, nats_server: NatsServer) -> Iterator[Fleet]:
    with running_fleet(tmp_path, nats_url=nats_server.url) as running:
        yield running


def invitations(fleet: Fleet) -> list[tuple[str, EmailMessage]]:
    """(delivery id, message) of every email the sink holds for the colleague."""
    found = []
    for path in (fleet.outbox / "email").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if COLLEAGUE in str(message["To"]):
            found.append((path.stem, message))
    return found


def test_an_invited_colleague_sets_a_password_from_the_email(fleet: Fleet) -> None:
    token = staff_api_token(fleet.database, email=ADMIN, name="Claire Martin", role="admin")
    invited = httpx.post(
        f"{fleet.api_url}/api/users",
        json={"email": COLLEAGUE, "name": "Sam Staff", "role": "staff"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert invited.status_code == 201, invited.text

    ((delivery_id, message),) = wait_for(
        lambda: invitations(fleet), timeout=60, what="the invitation email"
    )
    # The fleet runs with no office configured: the development one names itself.
    assert message["Subject"] == f"Your account at {DEVELOPMENT_OFFICE.name}"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = str(body.get_content())
    assert "Claire Martin has invited you" in text and "as staff" in text
    match = LINK.search(text)
    assert match is not None, text
    assert match.group(1).startswith(fleet.api_url)
    wait_for(lambda: fleet.statuses().get(delivery_id) == "sent", timeout=30, what="reported sent")

    done = httpx.post(
        f"{fleet.api_url}/api/auth/password/set",
        json={"token": match.group(2), "password": PASSWORD},
        timeout=30,
    )
    assert done.status_code == 200, done.text
    login = httpx.post(
        f"{fleet.api_url}/api/auth/login",
        json={"email": COLLEAGUE, "password": PASSWORD},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    again = httpx.post(
        f"{fleet.api_url}/api/auth/password/set",
        json={"token": match.group(2), "password": PASSWORD},
        timeout=30,
    )
    assert again.status_code == 400
