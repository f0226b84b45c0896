"""Prometheus config and alert rules (promtool), Alertmanager (amtool and a live run), Grafana."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client import REGISTRY, generate_latest

from tests.support import NatsServer, free_port, wait_for
from tests.support.api_process import ApiProcess
from tests.support.smtp import SmtpSink
from tests.support.tools import require_tool
from tests.support.webhook import AlertReceiver

INFRA = Path(__file__).parents[2] / "infra"
PROMETHEUS = INFRA / "prometheus"
ALERTMANAGER = INFRA / "alertmanager" / "alertmanager.yml"
GRAFANA = INFRA / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "vault03.json"

PROMQL_WORDS = {"up"}


def run(*command: str, cwd: Path | None = None) -> str:
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_prometheus_config_is_valid() -> None:
    promtool = require_tool("promtool")
    output = run(promtool, "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert "SUCCESS: 1 rule files found" in output


def test_prometheus_scrapes_every_service_on_its_settings_port() -> None:
    from vault03_api.settings import ApiSettings
    from vault03_email.settings import EmailSettings
    from vault03_notifier.settings import NotifierSettings
    from vault03_postal.settings import PostalSettings
    from vault03_sms.settings import SmsSettings

    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    targets = {
        group["labels"]["service"]: target
        for job in config["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    assert targets["api"] == f"api:{ApiSettings.model_fields['port'].default}"
    for service, settings in {
        "email": EmailSettings,
        "sms": SmsSettings,
        "postal": PostalSettings,
        "notifier": NotifierSettings,
    }.items():
        assert targets[service] == f"{service}:{settings.model_fields['http_port'].default}"


def test_alert_rules_pass_their_unit_tests() -> None:
    promtool = require_tool("promtool")
    output = run(promtool, "test", "rules", "tests/vault03.test.yml", cwd=PROMETHEUS)
    assert "SUCCESS" in output


def test_every_alert_rule_has_a_unit_test() -> None:
    rules = yaml.safe_load((PROMETHEUS / "rules" / "vault03.yml").read_text())
    alerts = {
        rule["alert"] for group in rules["groups"] for rule in group["rules"] if "alert" in rule
    }
    tests = yaml.safe_load((PROMETHEUS / "tests" / "vault03.test.yml").read_text())
    tested = {
        case["alertname"]
        for test in tests["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert alerts == tested


def test_alertmanager_config_is_valid_and_routes_to_the_operators() -> None:
    amtool = require_tool("amtool")
    run(amtool, "check-config", str(ALERTMANAGER))
    for labels in (["severity=critical", "alertname=VaultServiceDown"], ["severity=warning"]):
        result = subprocess.run(
            [amtool, "config", "routes", "test", f"--config.file={ALERTMANAGER}", *labels],
            capture_output=True,
            text=True,
        )
        assert result.stdout.strip() == "operators", result.stderr
    receiver = yaml.safe_load(ALERTMANAGER.read_text())["receivers"][0]
    [webhook] = receiver["webhook_configs"]
    assert webhook["url"] == "http://notifier:9104/alertmanager"
    assert webhook["http_config"]["authorization"]["type"] == "Bearer"
    assert receiver["email_configs"]


@pytest.mark.fleet
def test_alertmanager_delivers_to_the_notifier_webhook_and_email(tmp_path: Path) -> None:
    """The real Alertmanager with our config, pointed at loopback stand-ins."""
    binary = require_tool("prometheus-alertmanager")
    secret = tmp_path / "webhook-secret"
    secret.write_text("shared-webhook-secret")
    smtp_password = tmp_path / "smtp-password"
    smtp_password.write_text("unused")
    port = free_port()
    with AlertReceiver("shared-webhook-secret") as webhook, SmtpSink() as smtp:
        config = ALERTMANAGER.read_text()
        for old, new in {
            "http://notifier:9104/alertmanager": webhook.url,
            "/run/secrets/alertmanager_webhook_secret": str(secret),
            "/run/secrets/alertmanager_smtp_password": str(smtp_password),
            "smtp-relay.brevo.com:587": f"127.0.0.1:{smtp.port}",
            "smtp_require_tls: true": "smtp_require_tls: false",  # the sink speaks plain SMTP
            "group_wait: 30s": "group_wait: 1s",
        }.items():
            assert old in config
            config = config.replace(old, new)
        # The sink offers no AUTH, and Alertmanager refuses to send a password in the clear.
        config = re.sub(r"\n  smtp_auth_\w+: .*", "", config)
        (tmp_path / "alertmanager.yml").write_text(config)
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={tmp_path / 'alertmanager.yml'}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / "alertmanager.log", "wb"),  # noqa: SIM115
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for(lambda: _ready(url), timeout=30, what="alertmanager to be ready")
            alert = {
                "labels": {"alertname": "VaultDiskUsageHigh", "severity": "warning"},
                "annotations": {"summary": "Disk usage of the data volume is 85%"},
                "startsAt": datetime.now(UTC).isoformat(),
            }
            httpx.post(f"{url}/api/v2/alerts", json=[alert], timeout=10).raise_for_status()
            wait_for(lambda: webhook.accepted and smtp.messages, timeout=60, what="deliveries")
        finally:
            process.terminate()
            process.wait(timeout=30)
    [payload] = webhook.accepted
    assert payload["receiver"] == "operators" and payload["version"] == "4"
    assert payload["alerts"][0]["annotations"]["summary"] == alert["annotations"]["summary"]
    assert "VaultDiskUsageHigh" in smtp.messages[0]


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def metric_names(expr: str) -> set[str]:
    return {name for name in re.findall(r"\b(vault03_\w+|up)\b", expr)}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every metric name the fleet's code exports: a real API's /metrics, the worker runtime."""
    import vault03_common.providers  # registers the provider-call metrics
    import vault03_common.runtime  # noqa: F401  (registers the worker metrics)

    root = tmp_path_factory.mktemp("metrics")
    nats = NatsServer(root / "nats")
    nats.start()
    api = ApiProcess(root / "vault03", nats_url=nats.url)
    try:
        api.start()
        httpx.get(f"{api.url}/api/health", timeout=10)
        # Health probes are not counted: one counted request makes the request metrics appear.
        httpx.get(f"{api.url}/api/auth/me", timeout=10)
        text = httpx.get(f"{api.url}/metrics", timeout=10).text
    finally:
        api.stop()
        nats.stop()
    text += generate_latest(REGISTRY).decode()
    names: set[str] = set()
    for name, kind in re.findall(r"^# TYPE (\w+) (\w+)$", text, flags=re.MULTILINE):
        names.add(name)
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


def test_grafana_provisioning_and_dashboard_are_consistent() -> None:
    datasource = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"][0]
    provider = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "vault03.yml").read_text()
    )["providers"][0]
    assert datasource["url"] == "http://prometheus:9090"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == datasource["uid"]
        assert panel["targets"], panel["title"]
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"])
    titles = " ".join(panel["title"].lower() for panel in dashboard["panels"])
    for topic in ("requests", "latency", "deliveries", "outbox", "logins", "disk", "backup"):
        assert topic in titles


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    interval = "$__rate_interval"  # Grafana's, not PromQL's
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {
                        "record": f"dashboard:panel{n}",
                        "expr": expr.replace(interval, "5m"),
                    }
                    for n, expr in enumerate(dashboard_exprs())
                ],
            }
        ]
    }
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump(rules))
    run(promtool, "check", "rules", str(tmp_path / "dashboard.yml"))


@pytest.mark.fleet
def test_rules_and_dashboard_use_only_metrics_the_code_exports(exported: set[str]) -> None:
    rules = yaml.safe_load((PROMETHEUS / "rules" / "vault03.yml").read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = set().union(*(metric_names(expr) for expr in exprs + dashboard_exprs()))
    unknown = used - exported - PROMQL_WORDS
    assert not unknown, f"not exported by any service: {sorted(unknown)}"
    assert "vault03_login_failures_total" in used
