"""The OpenAPI document names every refusal a route can give, not only those its own code raises:
the access check's (401, 403), an unparsable body's (400), a full writer queue's and
maintenance's (503)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from vault03_api.auth.access import Policy, policy_of
from vault03_api.auth.exceptions import Forbidden, NotAuthenticated
from vault03_api.db import WritersBusy
from vault03_api.errors import AppError, ErrorBody

_ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


def _refusal(description: str, *, html: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": _ERROR_BODY}}
    if html:
        content["text/html"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


def _refusals(policy: Policy | None, *, has_body: bool) -> dict[str, dict[str, Any]]:
    refusals: dict[str, dict[str, Any]] = {}
    if has_body:
        refusals["400"] = _refusal("The body could not be parsed")
    if policy is None or not policy.public:
        errors: tuple[type[AppError], ...] = (NotAuthenticated, Forbidden)
        for error in errors:
            refusals[str(error.status_code)] = _refusal(error.__name__)
    # Any route may need a write turn (an audit row at least), and the writer queue refuses
    # at once when full; maintenance adds its 503 where it closes the route. Browsers get the
    # maintenance page, API clients the JSON error (maintenance/page.py).
    busy = "Too many writes waiting; see Retry-After"
    if policy is None or not policy.during_maintenance:
        busy += ", or down for maintenance (admins still pass)"
    refusals[str(WritersBusy.status_code)] = _refusal(busy, html=True)
    return refusals


def document_refusals(app: FastAPI) -> None:
    """Add the access check's and the body parser's refusals to the app's OpenAPI document."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        document.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "ErrorBody", ErrorBody.model_json_schema()
        )
        for route in iter_route_contexts(app.router.routes):
            operations = document["paths"].get(getattr(route, "path_format", None) or "")
            if not operations or not getattr(route, "include_in_schema", False):
                continue
            refusals = _refusals(
                policy_of(route), has_body=getattr(route, "body_field", None) is not None
            )
            for method in route.methods or ():
                operation = operations.get(method.lower())
                if operation is not None:
                    responses = {**refusals, **operation["responses"]}
                    operation["responses"] = dict(sorted(responses.items()))
        return document

    app.openapi = openapi  # type: ignore[method-assign]
