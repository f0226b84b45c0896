"""No response sends the client to a host it named itself: Location never echoes Host."""

from __future__ import annotations

from fastapi.testclient import TestClient

from vault03_api.main import create_app
from vault03_api.settings import ApiSettings

FOREIGN = "attacker.example"


def test_no_location_header_echoes_the_requests_host(api_settings: ApiSettings) -> None:
    app = create_app(api_settings)
    paths = set(app.openapi()["paths"]) | {"/metrics", "/s/token", "/docs"}
    assert "/api/customers" in paths
    with TestClient(app, follow_redirects=False) as client:
        for path in sorted(paths):
            concrete = path.replace("{", "").replace("}", "")  # /api/files/file_id/...
            for variant in (concrete, f"{concrete}/"):
                response = client.get(variant, headers={"Host": FOREIGN})
                location = response.headers.get("location", "")
                assert FOREIGN not in location, (variant, response.status_code, location)
