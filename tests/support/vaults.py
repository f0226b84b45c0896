"""Helpers for customer, vault and file tests: API tokens per role, a customer with a vault."""

from __future__ import annotations

from typing import Any

from tests.support.identity import Harness
from vault03_api import clock
from vault03_api.auth.service import create_api_token


def token_headers(harness: Harness, role: str, *, email: str | None = None) -> dict[str, str]:
    """Authorization headers of a fresh user with `role` (an API token: no CSRF needed)."""
    email = email or f"{role}-{len(harness.created)}@example.org"
    user_id = harness.create_user(email, role=role)
    with harness.db() as session:
        _, secret = create_api_token(
            session, user_id=user_id, name="tests", days=30, now=clock.utcnow()
        )
    return {"Authorization": f"Bearer {secret}"}


def new_customer(harness: Harness, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "Ada Lovelace", "email": "ada@example.org", "mobile": "+33 6 12 34 56 78"}
    body.update(fields)
    response = harness.client.post("/api/customers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def new_vault(harness: Harness, headers: dict[str, str], **fields: Any) -> int:
    customer = new_customer(harness, headers)
    body = {"name": "Tax 2026", **fields}
    response = harness.client.post(
        f"/api/customers/{customer['id']}/vaults", json=body, headers=headers
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])
