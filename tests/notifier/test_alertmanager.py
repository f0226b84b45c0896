from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.fakes import TELEGRAM_TOKEN, FakeServer, fake_telegram
from vault03_notifier.alertmanager import alertmanager_routes
from vault03_notifier.settings import NotifierSettings
from vault03_notifier.telegram import TelegramClient

TOKEN = "am-shared-secret-7f3a"


def webhook(status: str = "firing") -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="DiskAlmostFull"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "telegram",
        "groupLabels": {"alertname": "DiskAlmostFull"},
        "commonLabels": {"alertname": "DiskAlmostFull", "severity": "critical"},
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "alerts": [
            {
                "status": status,
                "labels": {
                    "alertname": "DiskAlmostFull",
                    "severity": "critical",
                    "instance": "api:8041",
                },
                "annotations": {"summary": "Data disk 93% used (limit 90%) <check> & act"},
                "startsAt": "2026-12-01T03:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://127.0.0.1:9090/graph",
                "fingerprint": "c0ffee",
            }
        ],
    }


@pytest.fixture
def telegram() -> Iterator[FakeServer]:
    with fake_telegram() as server:
        yield server


@pytest.fixture
async def app(telegram: FakeServer) -> AsyncIterator[httpx.AsyncClient]:
    settings = NotifierSettings(
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_base_url=telegram.url,
        chat_ids=["-100200"],
        alertmanager_token=TOKEN,
    )
    client = TelegramClient.from_settings(settings)
    asgi = Starlette(routes=alertmanager_routes(client, settings))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=asgi), base_url="http://n"
    ) as http:
        yield http
    await client.aclose()


async def test_firing_alert_reaches_telegram(app: httpx.AsyncClient, telegram: FakeServer) -> None:
    response = await app.post(
        "/alertmanager", json=webhook(), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200, response.text
    [message] = telegram.state.accepted
    assert message["chat_id"] == "-100200"
    assert message["visible"].startswith("VAULT03 FIRING (alertname=DiskAlmostFull)")
    assert "DiskAlmostFull [critical] on api:8041" in message["visible"]
    assert "Data disk 93% used (limit 90%) <check> & act" in message["visible"]


async def test_resolved_alert_and_basic_auth(app: httpx.AsyncClient, telegram: FakeServer) -> None:
    response = await app.post(
        "/alertmanager", json=webhook("resolved"), auth=("alertmanager", TOKEN)
    )
    assert response.status_code == 200
    assert "VAULT03 RESOLVED" in telegram.state.accepted[0]["visible"]
    assert "Resolved: 1" in telegram.state.accepted[0]["visible"]


async def test_wrong_or_missing_secret_is_refused(
    app: httpx.AsyncClient, telegram: FakeServer
) -> None:
    assert (await app.post("/alertmanager", json=webhook())).status_code == 401
    wrong = await app.post(
        "/alertmanager", json=webhook(), headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    assert telegram.state.requests == []


async def test_malformed_body_is_a_400(app: httpx.AsyncClient, telegram: FakeServer) -> None:
    response = await app.post(
        "/alertmanager", json={"status": "firing"}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "not an Alertmanager webhook"
    assert telegram.state.requests == []


async def test_telegram_outage_makes_alertmanager_retry(
    app: httpx.AsyncClient, telegram: FakeServer
) -> None:
    telegram.state.script.append({"status": 502})
    response = await app.post(
        "/alertmanager", json=webhook(), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 503


async def test_disabled_without_a_token(telegram: FakeServer) -> None:
    settings = NotifierSettings(telegram_bot_token=TELEGRAM_TOKEN, telegram_base_url=telegram.url)
    client = TelegramClient.from_settings(settings)
    asgi = Starlette(routes=alertmanager_routes(client, settings))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=asgi), base_url="http://n"
    ) as http:
        response = await http.post(
            "/alertmanager", json=webhook(), headers={"Authorization": "Bearer x"}
        )
    await client.aclose()
    assert response.status_code == 503
