"""Helpers for share tests: a vault with files, a share, and what its messages carried."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import col, select

from tests.support.identity import Harness
from tests.support.outbox import sent_payload
from tests.support.vaults import new_customer, token_headers
from vault03_api.deliveries.models import Delivery
from vault03_api.deliveries.service import record_status
from vault03_api.settings import ApiSettings
from vault03_api.shares.credentials import code_form_cookie_name
from vault03_api.shares.models import ShareDelivery
from vault03_api.tokens import new_token
from vault03_common.events import Channel, DeliveryStatus, DeliveryStatusReported

LINK = re.compile(r"/s/([A-Za-z0-9_-]{43})$")


@dataclass
class Shared:
    """A share as its recipient knows it: the link's token and the code."""

    id: int
    vault_id: int
    token: str
    code: str
    body: dict[str, Any]

    @property
    def path(self) -> str:
        return f"/s/{self.token}"


def vault_with_files(
    harness: Harness, headers: dict[str, str], files: dict[str, bytes], **customer: Any
) -> tuple[int, dict[str, str]]:
    """A customer's vault holding `files` (name -> bytes); returns (vault id, name -> file id)."""
    owner = new_customer(harness, headers, **customer)
    response = harness.client.post(
        f"/api/customers/{owner['id']}/vaults", json={"name": "Tax 2026"}, headers=headers
    )
    assert response.status_code == 201, response.text
    vault_id = int(response.json()["id"])
    ids = {}
    for name, data in files.items():
        stored = harness.client.put(
            f"/api/vaults/{vault_id}/files/{name}", content=data, headers=headers
        )
        assert stored.status_code == 201, stored.text
        ids[name] = stored.json()["id"]
    return vault_id, ids


def share_messages(harness: Harness, share_id: int) -> list[Delivery]:
    """The share's deliveries, oldest first."""
    with harness.db() as session:
        rows = session.exec(
            select(Delivery)
            .join(ShareDelivery, col(ShareDelivery.delivery_id) == col(Delivery.id))
            .where(ShareDelivery.share_id == share_id)
            .order_by(col(Delivery.created_at))
        ).all()
        return list(rows)


def latest_token(harness: Harness, share_id: int) -> str:
    """The token of the last link emailed for the share (from the outbox, as sent)."""
    links = [d for d in share_messages(harness, share_id) if d.kind == "share_link"]
    match = LINK.search(sent_payload(links[-1], harness.state.keyring)["context"]["link"])
    assert match is not None
    return match.group(1)


def latest_code(harness: Harness, share_id: int) -> str:
    """The last access code sent for the share, whatever the channel."""
    codes = [d for d in share_messages(harness, share_id) if d.kind == "access_code"]
    payload = sent_payload(codes[-1], harness.state.keyring)
    if payload["channel"] == "sms":
        match = re.search(r": (\d{4} \d{4})\.", payload["text"])
        assert match is not None
        return match.group(1)
    return str(payload["context"]["access_code"])


def create_share(harness: Harness, headers: dict[str, str], vault_id: int, **fields: Any) -> Shared:
    response = harness.client.post(f"/api/vaults/{vault_id}/shares", json=fields, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    token = latest_token(harness, body["id"])
    return Shared(body["id"], vault_id, token, body["access_code"], body)


def report_all_sent(harness: Harness) -> None:
    """Every queued message reported sent, as the workers would report it."""
    with harness.db() as session:
        for delivery in harness.deliveries():
            report = DeliveryStatusReported(
                delivery_id=delivery.id,
                channel=Channel(delivery.channel),
                status=DeliveryStatus.SENT,
                attempt=1,
            )
            record_status(session, report=report)


def staff(harness: Harness) -> dict[str, str]:
    return token_headers(harness, "staff", email="staff@example.org")


def enter_code(client: TestClient, shared: Shared, code: str | None = None) -> Any:
    """Post the code form as a browser holding the link page's form cookie would (no redirect
    followed). The cookie is set here rather than by a GET, which the access log would count."""
    name = code_form_cookie_name(harness_settings(client), shared.token)
    form_token = client.cookies.get(name)
    if form_token is None:
        form_token = new_token()
        client.cookies.set(name, form_token, domain="testserver.local", path="/")
    return client.post(
        f"{shared.path}/code",
        data={"code": code or shared.code, "form_token": form_token},
        follow_redirects=False,
    )


def harness_settings(client: TestClient) -> ApiSettings:
    settings: ApiSettings = client.app.state.vault03.settings  # type: ignore[attr-defined]
    return settings


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match is not None, page
    return match.group(1)


@dataclass
class Uploading:
    """A recipient signed in to an upload share of a new, empty vault."""

    headers: dict[str, str]
    vault_id: int
    shared: Shared
    browser: TestClient
    csrf: str

    def send(self, name: str, data: bytes, content_type: str = "application/pdf") -> Any:
        """Post the page's form with one file, as the browser would (no redirect followed)."""
        return self.browser.post(
            f"{self.shared.path}/files?csrf={self.csrf}",
            files={"file": (name, data, content_type)},
            follow_redirects=False,
        )


def signed_in_to_upload(harness: Harness, **fields: Any) -> Uploading:
    """Staff share an empty vault for uploads (`fields` go to the share); the recipient
    enters the code and opens the page."""
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {})
    shared = create_share(
        harness, headers, vault_id, **{"permissions": ["download", "upload"], **fields}
    )
    browser = harness.new_client()
    assert enter_code(browser, shared).status_code == 303
    return Uploading(headers, vault_id, shared, browser, csrf_of(browser.get(shared.path).text))
