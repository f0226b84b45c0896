"""Every error is the API's JSON body: a full disk 507, anything unexpected 500 (never text)."""

from __future__ import annotations

import errno

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from vault03_api.errors import install_error_handlers


def failing_app(error: Exception) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fail")
    async def fail() -> None:
        raise error

    return app


@pytest.mark.parametrize(
    "error",
    [ValueError("a bug"), OSError(errno.EACCES, "Permission denied"), KeyError("x")],
    ids=["bug", "other-os-error", "key-error"],
)
def test_an_unexpected_error_is_a_json_500(error: Exception) -> None:
    with TestClient(failing_app(error), raise_server_exceptions=False) as client:
        response = client.get("/fail")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "internal error", "detail": None}


def test_a_full_disk_is_a_json_507_naming_it() -> None:
    full = OSError(errno.ENOSPC, "No space left on device")
    with TestClient(failing_app(full)) as client:
        response = client.get("/fail")
    assert response.status_code == 507
    assert response.json()["error"] == "storage full"
    assert "disk is full" in response.json()["detail"]
