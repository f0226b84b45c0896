"""Shares against a running API process: a staff API token written into its database, then
a customer, a vault with a file and a share made over HTTP, as staff would."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from vault03_api import clock
from vault03_api.auth.models import User
from vault03_api.auth.service import create_api_token
from vault03_api.db import create_db_engine, session_scope


def staff_api_token(
    database: Path,
    *,
    email: str = "staff@example.org",
    name: str = "Sam Staff",
    role: str = "staff",
) -> str:
    """A staff member and a personal API token for them, straight into the live database."""
    engine = create_db_engine(database)
    try:
        with session_scope(engine) as session:
            user = User(email=email, name=name, role=role)
            session.add(user)
            session.flush()
            assert user.id is not None
            _, secret = create_api_token(
                session, user_id=user.id, name="tests", days=1, now=clock.utcnow()
            )
    finally:
        engine.dispose()
    return secret


@dataclass
class LiveShare:
    """What staff made: the share's API body, its vault and the files put in it."""

    share: dict[str, Any]
    vault_id: int
    file_ids: dict[str, str]


def share_over_http(
    api_url: str,
    token: str,
    *,
    files: dict[str, bytes],
    customer: dict[str, Any] | None = None,
    verify: str | bool = True,
    **share: Any,
) -> LiveShare:
    """Create a customer, a vault holding `files`, and a share of it, through the API."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=api_url, headers=headers, timeout=30, verify=verify) as http:
        body = {"name": "Ada Lovelace", "email": "ada@example.org", "mobile": "+33612345678"}
        made = http.post("/api/customers", json={**body, **(customer or {})})
        assert made.status_code == 201, made.text
        vault = http.post(f"/api/customers/{made.json()['id']}/vaults", json={"name": "Tax 2026"})
        assert vault.status_code == 201, vault.text
        vault_id = int(vault.json()["id"])
        ids = {}
        for name, data in files.items():
            stored = http.put(f"/api/vaults/{vault_id}/files/{name}", content=data)
            assert stored.status_code == 201, stored.text
            ids[name] = stored.json()["id"]
        created = http.post(f"/api/vaults/{vault_id}/shares", json=share)
        assert created.status_code == 201, created.text
    return LiveShare(created.json(), vault_id, ids)


def enter_code_over_http(client: httpx.Client, path: str, code: str) -> httpx.Response:
    """What a browser does on a link: open its page, then post the page's code form."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    form = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert form is not None, page.text
    return client.post(f"{path}/code", data={"code": code, "form_token": form.group(1)})


def stalling_upload(*, vault_id: int, token: str) -> bytes:
    """The start of a raw upload that announces 50 MiB and brings 3: a client that stalls."""
    head = (
        f"PUT /api/vaults/{vault_id}/files/big.bin HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Content-Type: application/octet-stream\r\n"
        f"Content-Length: {50 << 20}\r\n\r\n"
    )
    return head.encode() + os.urandom(3 << 20)
