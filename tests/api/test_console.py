"""The console's files and the API reference, served by the API from its own origin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.identity import make_settings
from vault03_api.main import create_app


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text('<!doctype html><script src="/assets/app-1.js"></script>')
    (built / "assets" / "app-1.js").write_text("console.log('console')")
    (tmp_path / "secret.txt").write_text("not to be served")
    return built


@pytest.fixture
def client(tmp_path: Path, dist: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path, ui_dir=dist))) as client:
        yield client


def test_the_console_answers_at_the_root_and_the_emails_link(client: TestClient) -> None:
    for path in ("/", "/set-password"):
        page = client.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "/assets/app-1.js" in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert page.headers["x-frame-options"] == "DENY"


def test_assets_are_served_and_nothing_beside_them(client: TestClient) -> None:
    script = client.get("/assets/app-1.js")
    assert script.status_code == 200
    assert "immutable" in script.headers["cache-control"]
    for name in ("missing.js", "..%2Fsecret.txt", "..%2F..%2Fsecret.txt", ".hidden"):
        answer = client.get(f"/assets/{name}")
        assert answer.status_code == 404, name
        assert answer.json()["error"]


def test_without_a_built_console_the_root_says_how_to_build_it(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        answer = client.get("/")
        assert answer.status_code == 404
        assert "pnpm build" in answer.json()["detail"]


def test_the_api_reference_loads_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "<script>" not in page.text and "https://" not in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        answer = client.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 10_000, asset
    init = client.get("/docs/swagger-init.js")
    assert init.status_code == 200 and "/openapi.json" in init.text
    assert client.get("/openapi.json").json()["info"]["title"] == "VAULT03"


def test_unknown_api_paths_stay_json_404(client: TestClient) -> None:
    answer = client.get("/api/nothing-here")
    assert answer.status_code == 404
    assert answer.json()["error"]


def test_while_the_console_is_being_built_the_root_says_so_in_a_page(tmp_path: Path) -> None:
    # `make run` points the API at ui/dist before its build has finished.
    settings = make_settings(tmp_path, ui_dir=tmp_path / "dist")
    with TestClient(create_app(settings)) as client:
        for path in ("/", "/set-password"):
            page = client.get(path)
            assert page.status_code == 503
            assert page.headers["content-type"].startswith("text/html")
            assert page.headers["retry-after"] == "5"
            assert '<meta http-equiv="refresh" content="5">' in page.text
            assert "Node.js 20" in page.text
            assert "unsafe-inline" not in page.headers["content-security-policy"]
        (tmp_path / "dist").mkdir()
        (tmp_path / "dist" / "index.html").write_text("<!doctype html><title>console</title>")
        assert client.get("/").status_code == 200  # once built, no restart needed
