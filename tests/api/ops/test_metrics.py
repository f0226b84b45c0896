from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import NatsServer, wait_for
from tests.support.api_process import ApiProcess
from vault03_api.ops.backup import write_marker

BACKED_UP = datetime(2026, 3, 1, 3, 0, 0, tzinfo=UTC)


def samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.mark.fleet
def test_the_api_exports_health_disk_backup_age_and_requests(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    api = ApiProcess(
        tmp_path / "vault03",
        nats_url=nats_server.url,
        extra_env={"VAULT03_API_NATS_GRACE_SECONDS": "0.5"},
    )
    write_marker(api.root / "backup", "offsite", BACKED_UP)
    api.start()
    try:
        httpx.get(f"{api.url}/api/health", timeout=10)
        assert httpx.get(f"{api.url}/api/audit", timeout=10).status_code == 401
        httpx.get(f"{api.url}/no/such/route/1234", timeout=10)
        found = samples(api.url)
        assert found[("vault03_api_healthy", ())] == 1
        assert found[("vault03_api_health_check_ok", (("check", "database"),))] == 1
        assert found[("vault03_backup_last_success_timestamp_seconds", (("kind", "offsite"),))] == (
            BACKED_UP.timestamp()
        )
        used = found[("vault03_disk_used_bytes", (("volume", "data"),))]
        assert 0 < used < found[("vault03_disk_size_bytes", (("volume", "data"),))]
        audit = (
            "vault03_http_requests_total",
            (
                ("app_name", "api"),
                ("method", "GET"),
                ("path", "/api/audit"),
                ("status_code", "401"),
            ),
        )
        assert found[audit] == 1
        # Neither scanners' paths nor the health probes (Docker, nginx, monitoring) are counted.
        assert not [key for key in found if "/no/such/route" in str(key)]
        assert not [key for key in found if "/api/health" in str(key)]
        # Health is re-checked at each scrape: NATS going away shows without any /api/health call.
        nats_server.stop()
        wait_for(
            lambda: samples(api.url)[("vault03_api_healthy", ())] == 0,
            what="vault03_api_healthy to drop to 0",
        )
        assert samples(api.url)[("vault03_api_health_check_ok", (("check", "nats"),))] == 0
    finally:
        api.stop()
