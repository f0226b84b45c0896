"""Route x role table: every route of the app must be listed here, and each role gets exactly
the access the table says (a new route without an entry fails the first test)."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts

from tests.support.identity import CSRF, Harness

PUBLIC = "public"
ANY = frozenset({"admin", "staff", "auditor"})
ADMIN = frozenset({"admin"})
READERS = frozenset({"admin", "auditor"})
STAFF = frozenset({"admin", "staff"})
# Routes reachable before the login is complete (half-logged-in sessions).
PENDING = "pending"

# (method, path) -> PUBLIC | PENDING | roles allowed. Other domains add their routes here.
TABLE: dict[tuple[str, str], str | frozenset[str]] = {
    ("GET", "/api/health"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("POST", "/api/webhooks/brevo"): PUBLIC,
    ("POST", "/api/webhooks/postal"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/password/set"): PUBLIC,
    ("POST", "/api/auth/password/forgot"): PUBLIC,
    ("POST", "/api/auth/totp"): PENDING,
    ("POST", "/api/auth/recovery"): PENDING,
    ("GET", "/api/auth/me"): ANY,
    ("POST", "/api/auth/logout"): ANY,
    ("POST", "/api/auth/totp/enrolment"): ANY,
    ("POST", "/api/auth/totp/enrolment/confirm"): ANY,
    ("POST", "/api/auth/recovery-codes"): ANY,
    ("POST", "/api/auth/password"): ANY,
    ("GET", "/api/auth/tokens"): ANY,
    ("POST", "/api/auth/tokens"): ANY,
    ("DELETE", "/api/auth/tokens/{token_id}"): ANY,
    ("GET", "/api/users"): ADMIN,
    ("POST", "/api/users"): ADMIN,
    ("POST", "/api/users/force-password-reset"): ADMIN,
    ("GET", "/api/users/{user_id}"): ADMIN,
    ("PATCH", "/api/users/{user_id}"): ADMIN,
    ("POST", "/api/users/{user_id}/disable"): ADMIN,
    ("POST", "/api/users/{user_id}/enable"): ADMIN,
    ("POST", "/api/users/{user_id}/reset-2fa"): ADMIN,
    ("POST", "/api/users/{user_id}/force-password-reset"): ADMIN,
    ("GET", "/api/audit"): READERS,
    ("GET", "/api/audit/export.csv"): READERS,
    # customers, vaults and files: auditors read metadata, never contents
    ("POST", "/api/customers"): STAFF,
    ("GET", "/api/customers"): ANY,
    ("GET", "/api/customers/{customer_id}"): ANY,
    ("PATCH", "/api/customers/{customer_id}"): STAFF,
    ("DELETE", "/api/customers/{customer_id}"): STAFF,
    ("POST", "/api/customers/{customer_id}/vaults"): STAFF,
    ("GET", "/api/customers/{customer_id}/vaults"): ANY,
    ("GET", "/api/vaults/{vault_id}"): ANY,
    ("PATCH", "/api/vaults/{vault_id}"): STAFF,
    ("DELETE", "/api/vaults/{vault_id}"): STAFF,
    ("GET", "/api/vaults/{vault_id}/files"): ANY,
    ("POST", "/api/vaults/{vault_id}/files"): STAFF,
    ("PUT", "/api/vaults/{vault_id}/files/{filename}"): STAFF,
    ("GET", "/api/files/{file_id}"): ANY,
    ("GET", "/api/files/{file_id}/content"): STAFF,
    ("DELETE", "/api/files/{file_id}"): STAFF,
    ("GET", "/api/files/{file_id}/versions"): ANY,
    ("GET", "/api/files/{file_id}/versions/{version_id}/content"): STAFF,
    ("POST", "/api/files/{file_id}/versions/{version_id}/restore"): STAFF,
    # shares: staff manage them, auditors read them (metadata and access logs)
    ("POST", "/api/vaults/{vault_id}/shares"): STAFF,
    ("GET", "/api/vaults/{vault_id}/shares"): ANY,
    ("GET", "/api/customers/{customer_id}/shares"): ANY,
    ("GET", "/api/customers/{customer_id}/timeline"): ANY,
    ("GET", "/api/shares/{share_id}"): ANY,
    ("POST", "/api/shares/{share_id}/resend-link"): STAFF,
    ("POST", "/api/shares/{share_id}/resend-code"): STAFF,
    ("POST", "/api/shares/{share_id}/revoke"): STAFF,
    ("POST", "/api/shares/{share_id}/extend"): STAFF,
    ("GET", "/api/shares/{share_id}/access"): ANY,
    ("GET", "/api/shares/{share_id}/access.csv"): ANY,
    # the customer portal: no staff authentication, guarded by the share's code and session
    ("GET", "/s/assets/portal.css"): PUBLIC,
    ("GET", "/s/assets/upload.js"): PUBLIC,
    ("GET", "/s/{token}"): PUBLIC,
    ("POST", "/s/{token}/code"): PUBLIC,
    ("GET", "/s/{token}/files/{file_id}"): PUBLIC,
    ("GET", "/s/{token}/files/{file_id}/preview"): PUBLIC,
    ("POST", "/s/{token}/files"): PUBLIC,
    ("POST", "/s/{token}/logout"): PUBLIC,
    # the staff console's page, its built files, and the API reference's init script
    ("GET", "/"): PUBLIC,
    ("GET", "/set-password"): PUBLIC,
    ("GET", "/assets/{name}"): PUBLIC,
    ("GET", "/docs/swagger-init.js"): PUBLIC,
    # maintenance: everyone sees the windows (a banner), admins schedule and switch
    ("GET", "/api/maintenance"): ANY,
    ("POST", "/api/maintenance/windows"): ADMIN,
    ("DELETE", "/api/maintenance/windows/{window_id}"): ADMIN,
    ("POST", "/api/maintenance/on"): ADMIN,
    ("POST", "/api/maintenance/off"): ADMIN,
    # the system's state (health checks, delivery queue, backups): admins only
    ("GET", "/api/status"): ADMIN,
}


def app_routes(harness: Harness) -> set[tuple[str, str]]:
    routes = set()
    for context in iter_route_contexts(harness.client.app.routes):  # type: ignore[attr-defined]
        if context.endpoint is None or not context.methods or context.path is None:
            continue
        if context.path in {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}:
            continue
        # path_format: the path as documented, without convertors such as {user_id:int}
        routes.update((method, context.path_format) for method in context.methods - {"HEAD"})
    return routes


def test_every_route_is_in_the_table(harness: Harness) -> None:
    routes = app_routes(harness)
    missing = sorted(routes - TABLE.keys())
    assert not missing, f"routes without an entry in the role table: {missing}"
    stale = sorted(TABLE.keys() - routes)
    assert not stale, f"table entries for routes that no longer exist: {stale}"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "999999", path)


@pytest.mark.parametrize("role", ["admin", "staff", "auditor"])
def test_each_role_gets_what_the_table_says(harness: Harness, role: str) -> None:
    email = f"{role}@example.org"
    harness.create_user(email, role=role)
    harness.create_user("other-admin@example.org", role="admin")  # so no "last admin" refusals
    csrf = harness.login(email)
    # Routes that end the caller's own session go last.
    last = [("POST", "/api/auth/logout"), ("POST", "/api/users/force-password-reset")]
    order = sorted(TABLE.items(), key=lambda item: last.index(item[0]) if item[0] in last else -1)
    for (method, path), rule in order:
        if rule == PUBLIC:
            continue
        response = harness.client.request(method, _concrete(path), headers={CSRF: csrf})
        if rule == PENDING:
            # Only half-logged-in sessions may use the second-factor routes.
            assert response.status_code == 403, (method, path)
            assert response.json()["error"] == "finish logging in first"
            continue
        allowed = role in rule
        if allowed:
            assert response.status_code != 403, (method, path, response.text)
            assert response.status_code != 401, (method, path)
        else:
            assert response.status_code == 403, (method, path, response.status_code)
            assert response.json()["error"] == "your role may not do this"
        if (method, path) == ("POST", "/api/auth/logout"):
            csrf = harness.login(email)


def test_without_credentials_only_public_routes_answer(harness: Harness) -> None:
    for (method, path), rule in sorted(TABLE.items()):
        response = harness.client.request(method, _concrete(path))
        if rule == PUBLIC:
            assert response.status_code not in (401, 403), (method, path)
        else:
            assert response.status_code == 401, (method, path, response.status_code)


def test_a_route_without_a_policy_is_refused_to_everyone(harness: Harness) -> None:
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/api/undeclared")
    def undeclared() -> dict[str, str]:
        return {"secret": "data"}

    harness.client.app.include_router(router)  # type: ignore[attr-defined]
    harness.create_user("admin@example.org", role="admin")
    harness.login("admin@example.org")
    response = harness.client.get("/api/undeclared")
    assert response.status_code == 403
    assert response.json()["error"] == "this route declares no access policy"
    assert ("GET", "/api/undeclared") not in TABLE
