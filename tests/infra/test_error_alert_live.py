"""The guide's "more than 10 errors per hour" alert, evaluated by promtool on the real rule
with what a freshly started service really exports: a scrape right after start-up, then one
after a burst of errors. The ERROR series must exist (at 0) before the first error, or
increase() cannot see the burst."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.support import NatsServer, free_port, port_open, wait_for
from tests.support.tools import require_tool
from vault03_common.events import Channel
from vault03_common.jetstream import connect, delivery_subject, ensure_streams

RULES = Path(__file__).parents[2] / "infra" / "prometheus" / "rules" / "vault03.yml"
BURST = 12


@pytest.fixture
def email_worker(tmp_path: Path, nats_server: NatsServer) -> Iterator[str]:
    """A freshly started email worker process; yields its /metrics address."""
    port = free_port()
    env = {
        **os.environ,
        "VAULT03_NATS_URL": nats_server.url,
        "VAULT03_EMAIL_HTTP_PORT": str(port),
        "VAULT03_EMAIL_SINK_DIR": str(tmp_path / "outbox"),
    }
    with open(tmp_path / "email.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "vault03_email"], env=env, stdout=log, stderr=log
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(
            lambda: port_open(port) and httpx.get(f"{base}/healthz").status_code == 200,
            timeout=60,
            what="email worker healthy",
        )
        yield f"{base}/metrics"
    finally:
        process.terminate()
        process.wait(timeout=30)


def errors_logged(metrics_url: str) -> float | None:
    """The worker's ERROR log-lines counter, None while the series does not exist."""
    text = httpx.get(metrics_url, timeout=10, follow_redirects=True).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "vault03_log_lines_total" and sample.labels["level"] == "ERROR":
                return sample.value
    return None


async def publish_malformed(nats_url: str, count: int) -> None:
    """Deliveries the worker cannot parse: each is one ERROR line."""
    nc = await connect(nats_url, name="vault03-test")
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        for number in range(count):
            await js.publish(
                delivery_subject(Channel.EMAIL),
                b"{not json",
                headers={"Nats-Msg-Id": f"malformed-{number}"},
            )
    finally:
        await nc.close()


def test_a_burst_of_errors_right_after_start_up_raises_the_alert(
    email_worker: str, nats_server: NatsServer, tmp_path: Path
) -> None:
    promtool = require_tool("promtool")
    at_start = errors_logged(email_worker)
    asyncio.run(publish_malformed(nats_server.url, BURST))
    after = wait_for(
        lambda: (
            (value := errors_logged(email_worker)) is not None
            and value >= (at_start or 0) + BURST
            and value
        ),
        timeout=60,
        what=f"{BURST} error lines counted",
    )
    first = "_" if at_start is None else f"{at_start:g}"  # "_": no sample (no series yet)
    labels = '{job="workers", service="email", level="ERROR"}'
    unit_test = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f"vault03_log_lines_total{labels}", "values": f"{first} {after:g}"}
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "1m",
                        "alertname": "VaultErrorsHigh",
                        "exp_alerts": [
                            {
                                "exp_labels": {"severity": "warning", "service": "email"},
                                "exp_annotations": {
                                    "summary": f"email logged {after - (at_start or 0):.0f} "
                                    "errors in the last hour",
                                    "description": "More than 10 ERROR lines in an hour. Read "
                                    "them: `docker compose logs --since 1h email | grep ERROR`.",
                                },
                            }
                        ],
                    }
                ],
            }
        ],
    }
    test_file = tmp_path / "fresh.test.yml"
    test_file.write_text(yaml.safe_dump(unit_test, sort_keys=False))
    result = subprocess.run(
        [promtool, "test", "rules", str(test_file)], capture_output=True, text=True
    )
    assert result.returncode == 0, f"scraped at start {at_start}, after {after}\n{result.stdout}"
    assert at_start == 0
