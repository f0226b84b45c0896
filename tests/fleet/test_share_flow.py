"""A share across the real fleet, read as a customer would: the link from the email the email
worker wrote (.eml), the code from the SMS sink. Then the incident step: `vault03 keys rotate
--reshare` against the running fleet kills the old link and sends a new link and code."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import NatsServer, wait_for
from tests.support.fleet import Fleet, running_fleet
from tests.support.live_shares import enter_code_over_http, share_over_http, staff_api_token

pytestmark = pytest.mark.fleet

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/s/[A-Za-z0-9_-]{43})")
CODE = re.compile(r"(\d{4} \d{4})")


@pytest.fixture
def fleet(tmp_path: Path, nats_server: NatsServer) -> Iterator[Fleet]:
    # Plain HTTP on loopback: links point at the API itself, cookies without Secure.
    with running_fleet(
        tmp_path,
        nats_url=nats_server.url,
        extra_env={"VAULT03_API_SESSION_COOKIE_SECURE": "false"},
    ) as running:
        yield running


def emails(fleet: Fleet) -> list[EmailMessage]:
    found = []
    # In the order the worker wrote them (the names are delivery ids).
    for path in sorted((fleet.outbox / "email").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def links_received(fleet: Fleet, to: str) -> list[str]:
    """Every share link that reached `to`, in the order the worker wrote them."""
    return [
        match.group(1)
        for message in emails(fleet)
        if message["To"].endswith(f"<{to}>") or message["To"] == to
        for match in [LINK.search(text_of(message))]
        if match
    ]


def codes_received(fleet: Fleet, number: str) -> list[str]:
    path = fleet.outbox / "sms.jsonl"
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [
        match.group(1)
        for line in lines
        if line["to"] == number
        for match in [CODE.search(line["text"])]
        if match
    ]


def share_status(fleet: Fleet, token: str, share_id: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    response = httpx.get(f"{fleet.api_url}/api/shares/{share_id}", headers=headers, timeout=10)
    body: dict[str, Any] = response.json()
    return body


def open_as_customer(link: str, code: str) -> httpx.Client:
    customer = httpx.Client(timeout=30, follow_redirects=True)
    entered = enter_code_over_http(customer, link, code)
    assert entered.status_code == 200, entered.text  # the redirect to the documents, followed
    return customer


def test_share_reaches_the_customer_through_the_workers(fleet: Fleet) -> None:
    staff = staff_api_token(fleet.database)
    document = os.urandom(1 << 20)
    live = share_over_http(
        fleet.api_url, staff, files={"contract.pdf": document}, permissions=["download", "upload"]
    )
    share_id = live.share["id"]
    link = wait_for(lambda: links_received(fleet, "ada@example.org"), timeout=60, what="link")[0]
    code = wait_for(lambda: codes_received(fleet, "+33612345678"), timeout=60, what="code")[0]
    assert code.replace(" ", "") not in "".join(text_of(m) for m in emails(fleet))
    wait_for(
        lambda: (
            (s := share_status(fleet, staff, share_id))["link_delivery"]["status"] == "sent"
            and s["code_delivery"]["status"] == "sent"
        ),
        timeout=60,
        what="both deliveries reported sent on the share",
    )

    customer = open_as_customer(link, code)
    page = customer.get(link).text
    file_id = live.file_ids["contract.pdf"]
    got = customer.get(f"{link}/files/{file_id}")
    assert got.status_code == 200 and got.content == document
    csrf = re.search(r"csrf=([A-Za-z0-9_-]+)", page).group(1)  # type: ignore[union-attr]
    sent = customer.post(
        f"{link}/files?csrf={csrf}",
        files={"file": ("signed.pdf", b"%PDF signed", "application/pdf")},
    )
    assert sent.status_code == 200 and "we received" in sent.text
    notice = wait_for(
        lambda: [m for m in emails(fleet) if m["Subject"] == "Document received: signed.pdf"],
        timeout=60,
        what="the upload notice to staff",
    )
    assert notice[0]["To"].endswith("<staff@example.org>")

    # The incident step, with the fleet running: new key, new links and codes for everyone.
    result = fleet.vault03("keys", "rotate", "--reshare")
    assert "re-issued 1 share(s)" in result.stdout
    links = wait_for(
        lambda: (found := links_received(fleet, "ada@example.org"))[1:] and found,
        timeout=60,
        what="the new link",
    )
    codes = wait_for(
        lambda: (found := codes_received(fleet, "+33612345678"))[1:] and found,
        timeout=60,
        what="the new code",
    )
    new_link, new_code = links[-1], codes[-1]
    assert set(links) == {link, new_link} and new_link != link
    assert customer.get(link).status_code == 410  # the old link, and its session, are dead
    fresh = open_as_customer(new_link, new_code)
    again = fresh.get(f"{new_link}/files/{file_id}")
    assert again.status_code == 200 and again.content == document
