"""What schemathesis found, pinned: integers SQLite cannot store are refused with the JSON
error body, every client integer is bounded in the OpenAPI document, a 405 names every method
of its path, and wrong-typed bodies are refused rather than coerced."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.identity import CSRF, PASSWORD, Harness, fake_clock, harness
from tests.support.shares import create_share, enter_code, staff, vault_with_files
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


def _upload(harness: Harness, headers: dict[str, str], vault_id: int, body: bytes) -> Any:
    return harness.client.post(
        f"/api/vaults/{vault_id}/files",
        content=body,
        headers={**headers, "Content-Type": "multipart/form-data; boundary=abc"},
    )


@pytest.mark.parametrize(
    "body",
    [
        b"--abcX",
        b"--abc\r\nno colon here\r\n\r\nx",
        b'--abc\r\nContent-Disposition: form-data; name="file"; filename="'
        + b"a" * 5000
        + b'"\r\n\r\nxx\r\n--abc--\r\n',
    ],
    ids=["boundary", "header", "long-name"],
)
def test_malformed_forms_get_a_json_400(harness: Harness, body: bytes) -> None:
    headers = token_headers(harness, "staff")
    vault_id = new_vault(harness, headers)
    response = _upload(harness, headers, vault_id, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith("the form cannot be parsed")


@pytest.mark.parametrize("when", ["0", "1700000000", "2026-01-01", "true"])
def test_times_are_date_time_text(harness: Harness, when: str) -> None:
    headers = token_headers(harness, "admin")
    _refused(harness.client.get("/api/audit", params={"until": when}, headers=headers))
    _refused(harness.client.get("/api/audit", params={"since": when}, headers=headers))
    accepted = harness.client.get(
        "/api/audit", params={"since": "2026-01-01T00:00:00Z"}, headers=headers
    )
    assert accepted.status_code == 200, accepted.text


def test_a_static_path_beside_an_id_answers_405(harness: Harness) -> None:
    headers = token_headers(harness, "admin")
    response = harness.client.get("/api/users/force-password-reset", headers=headers)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "POST"


def test_the_document_declares_what_the_access_check_and_parser_answer(harness: Harness) -> None:
    paths = harness.client.get("/openapi.json").json()["paths"]
    # Signed-in routes: 401, 403; closed during maintenance: 503; with a JSON body: 400.
    assert {"400", "401", "403", "503"} <= set(paths["/api/customers"]["post"]["responses"])
    assert {"401", "403", "503"} <= set(paths["/api/customers"]["get"]["responses"])
    # Login stays open during maintenance, but like every route it may find the writers busy.
    login = paths["/api/auth/login"]["post"]["responses"]["503"]["description"]
    assert "maintenance" not in login
    assert "writes waiting" in login
    gone = paths["/s/{token}"]["get"]["responses"]
    assert "maintenance" in gone["503"]["description"]
    assert "401" not in gone


def test_non_ascii_tokens_are_refused_not_crashed(harness: Harness) -> None:
    """Secrets are compared as bytes: a non-ASCII CSRF token or TOTP code is a wrong one."""
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {"report.pdf": b"%PDF-1.7"})
    shared = create_share(harness, headers, vault_id)
    browser = harness.new_client()
    assert enter_code(browser, shared).status_code == 303
    logout = browser.post(f"{shared.path}/logout", data={"csrf": "é" * 43})
    assert logout.status_code == 403, logout.text
    upload = browser.post(
        f"{shared.path}/files", params={"csrf": "é"}, files={"file": ("a.txt", b"a")}
    )
    assert upload.status_code == 403, upload.text

    harness.create_user("eve@example.org", role="staff")
    login = harness.client.post(
        "/api/auth/login", json={"email": "eve@example.org", "password": PASSWORD}
    )
    step = harness.client.post(
        "/api/auth/totp",
        json={"code": "١٢٣٤٥٦"},  # Arabic-Indic digits: str.isdigit() says yes
        headers={CSRF: login.json()["csrf_token"]},
    )
    assert step.status_code == 401, step.text
    csrf = harness.login("eve@example.org")
    refused = harness.client.post(
        "/api/customers", json={}, headers={CSRF: ("é" + csrf[1:]).encode("latin-1")}
    )
    assert refused.status_code == 403, refused.text


def test_integral_numbers_are_integers(harness: Harness) -> None:
    """JSON Schema's integer includes 5.0: what the schema allows, the API takes."""
    headers = token_headers(harness, "staff")
    customer = new_customer(harness, headers)
    created = harness.client.post(
        f"/api/customers/{customer['id']}/vaults",
        json={"name": "Tax 2026", "quota_bytes": 1030.0},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["quota_bytes"] == 1030
