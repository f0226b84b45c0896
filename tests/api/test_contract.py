"""What schemathesis found, pinned: integers SQLite cannot store are refused with the JSON
error body, every client integer is bounded in the OpenAPI document, a 405 names every method
of its path, and wrong-typed bodies are refused rather than coerced."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.identity import Harness, fake_clock, harness
from tests.support.vaults import new_customer, new_vault, token_headers
from vault03_api.bounds import MAX_INTEGER

__all__ = ["fake_clock", "harness"]

TOO_BIG = 2**63  # one past SQLite's largest INTEGER


def _refused(response: Any) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid request"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/customers/{n}"),
        ("DELETE", "/api/customers/{n}"),
        ("GET", "/api/customers/{n}/vaults"),
        ("GET", "/api/customers/{n}/timeline"),
        ("GET", "/api/vaults/{n}"),
        ("GET", "/api/shares/{n}"),
        ("GET", "/api/shares/{n}/access.csv"),
        ("GET", "/api/users/{n}"),
        ("DELETE", "/api/maintenance/windows/{n}"),
        ("GET", "/api/customers?offset={n}"),
        ("GET", "/api/audit?before_id={n}"),
        ("GET", "/api/audit?changed_by={n}"),
        ("GET", "/api/audit/export.csv?changed_by={n}"),
    ],
)
def test_integers_beyond_sqlite_are_refused(harness: Harness, method: str, path: str) -> None:
    headers = token_headers(harness, "admin")
    _refused(harness.client.request(method, path.format(n=TOO_BIG), headers=headers))


@pytest.mark.parametrize("quota", [TOO_BIG, "5", 5.5, True])
def test_quota_must_be_a_storable_integer(harness: Harness, quota: Any) -> None:
    headers = token_headers(harness, "staff")
    customer = new_customer(harness, headers)
    body = {"name": "Tax 2026", "quota_bytes": quota}
    created = harness.client.post(
        f"/api/customers/{customer['id']}/vaults", json=body, headers=headers
    )
    _refused(created)
    vault_id = new_vault(harness, headers)
    patched = harness.client.patch(
        f"/api/vaults/{vault_id}", json={"quota_bytes": quota}, headers=headers
    )
    _refused(patched)


def _integers(node: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        found = [(where, node)] if node.get("type") == "integer" else []
        for key, value in node.items():
            found += _integers(value, f"{where}/{key}")
        return found
    if isinstance(node, list):
        return [hit for i, value in enumerate(node) for hit in _integers(value, f"{where}[{i}]")]
    return []


def test_every_integer_a_client_sends_is_bounded(harness: Harness) -> None:
    """Path, query and body integers all carry a maximum a JSON client holds exactly (the
    providers' webhook bodies keep the shapes the providers send)."""
    document = harness.client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    unbounded = []
    for path, operations in document["paths"].items():
        if path.startswith("/api/webhooks/"):
            continue
        for method, operation in operations.items():
            places: list[tuple[str, Any]] = [
                (f"{method} {path} {p['name']}", p["schema"])
                for p in operation.get("parameters", [])
            ]
            for content in operation.get("requestBody", {}).get("content", {}).values():
                reference = content.get("schema", {}).get("$ref", "")
                name = reference.rsplit("/", 1)[-1]
                if name:
                    places.append((f"{method} {path} body {name}", components[name]))
            for where, schema in places:
                unbounded += [
                    spot
                    for spot, integer in _integers(schema, where)
                    if integer.get("maximum", MAX_INTEGER + 1) > MAX_INTEGER
                ]
    assert unbounded == []


def test_405_names_every_method_of_the_path(harness: Harness) -> None:
    response = harness.client.request("PUT", "/api/customers")
    assert response.status_code == 405
    assert response.json()["error"] == "Method Not Allowed"
    assert response.headers["allow"] == "GET, POST"
