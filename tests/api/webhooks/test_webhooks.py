from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from tests.support import NatsServer
from vault03_api.audit.models import AuditLog
from vault03_api.db import session_scope
from vault03_api.deliveries.models import Delivery
from vault03_api.main import create_app
from vault03_api.settings import ApiSettings
from vault03_common.events import DeliveryStatus

BREVO_SECRET = "brevo-hook-secret-91"
POSTAL_SECRET = "postal-hook-secret-17"
BREVO_AUTH = {"Authorization": f"Bearer {BREVO_SECRET}"}
POSTAL_AUTH = {"Authorization": f"Bearer {POSTAL_SECRET}"}


@pytest.fixture
def api(tmp_path: Path, nats_server: NatsServer) -> Iterator[TestClient]:
    settings = ApiSettings(
        data_dir=tmp_path / "data",
        keys_dir=tmp_path / "keys",
        backup_dir=tmp_path / "backup",
        nats_url=nats_server.url,
        brevo_webhook_secret=BREVO_SECRET,
        postal_webhook_secret=POSTAL_SECRET,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def engine_of(api: TestClient) -> Engine:
    engine: Engine = api.app.state.vault03.engine  # type: ignore[attr-defined]
    return engine


def add_delivery(
    api: TestClient,
    delivery_id: str,
    *,
    channel: str = "email",
    status: DeliveryStatus = DeliveryStatus.SENT,
    provider_message_id: str | None = None,
) -> None:
    with session_scope(engine_of(api)) as session:
        session.add(
            Delivery(
                id=delivery_id,
                channel=channel,
                kind="share_link",
                recipient="x",
                payload={},
                status=status.value,
                attempts=1,
                provider_message_id=provider_message_id,
            )
        )


def delivery(api: TestClient, delivery_id: str) -> Delivery:
    with session_scope(engine_of(api)) as session:
        found = session.get(Delivery, delivery_id)
        assert found is not None
        return found


def email_event(event: str, message_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "event": event,
        "email": "ana@example.org",
        "id": 123456,
        "date": "2026-12-01 10:00:00",
        "ts": 1796119200,
        "message-id": message_id,
        "ts_event": 1796119200,
        "subject": "Documents",
        "X-Mailin-custom": extra.pop("custom", None),
        **extra,
    }


def test_delivered_event_updates_the_status_and_a_replay_changes_nothing(api: TestClient) -> None:
    add_delivery(api, "e1", provider_message_id="<0001.abc@smtp-relay.mailin.fr>")
    body = email_event("delivered", "<0001.abc@smtp-relay.mailin.fr>")
    first = api.post("/api/webhooks/brevo", json=body, headers=BREVO_AUTH)
    assert first.status_code == 200, first.text
    assert first.json()["results"][0] == {
        "delivery_id": "e1",
        "event": "delivered",
        "outcome": "applied",
        "status": "delivered",
    }
    before = delivery(api, "e1")
    replay = api.post("/api/webhooks/brevo", json=body, headers=BREVO_AUTH)
    assert replay.json()["results"][0]["outcome"] == "ignored"
    after = delivery(api, "e1")
    assert after.status == DeliveryStatus.DELIVERED.value
    assert after.updated_at == before.updated_at
    with session_scope(engine_of(api)) as session:
        entries = session.exec(
            select(AuditLog).where(AuditLog.entity_type == "deliveries", AuditLog.entity_id == "e1")
        ).all()
    assert len(entries) == 1, "the applied event is audited, the replay is not"
    assert entries[0].action == "u"
    assert json.loads(str(entries[0].new_values))["status"] == "delivered"


@pytest.mark.parametrize("event", ["hard_bounce", "hardBounce", "blocked", "invalid_email", "spam"])
def test_failures_record_brevo_reason(api: TestClient, event: str) -> None:
    add_delivery(api, "e2", provider_message_id="<m2@relay>")
    body = email_event(event, "m2@relay", reason="550 5.1.1 mailbox unknown")
    response = api.post("/api/webhooks/brevo", json=body, headers=BREVO_AUTH)
    assert response.status_code == 200
    row = delivery(api, "e2")
    assert row.status == DeliveryStatus.FAILED.value
    assert row.last_error == f"brevo {event}: 550 5.1.1 mailbox unknown"


def test_soft_bounce_and_deferred_change_nothing_and_late_events_do_not_go_back(
    api: TestClient,
) -> None:
    add_delivery(api, "e3", provider_message_id="<m3>")
    for event in ("soft_bounce", "deferred", "request"):
        response = api.post(
            "/api/webhooks/brevo", json=email_event(event, "<m3>"), headers=BREVO_AUTH
        )
        assert response.json()["results"][0]["outcome"] == "ignored"
    assert delivery(api, "e3").status == DeliveryStatus.SENT.value
    api.post("/api/webhooks/brevo", json=email_event("opened", "<m3>"), headers=BREVO_AUTH)
    late = api.post(
        "/api/webhooks/brevo", json=email_event("hard_bounce", "<m3>"), headers=BREVO_AUTH
    )
    assert late.json()["results"][0]["outcome"] == "ignored"
    assert delivery(api, "e3").status == DeliveryStatus.DELIVERED.value


def test_email_accepted_on_a_retry_is_found_by_x_mailin_custom(api: TestClient) -> None:
    add_delivery(api, "e4", provider_message_id=None)
    body = email_event("delivered", "<m4@relay>", custom="e4")
    assert api.post("/api/webhooks/brevo", json=body, headers=BREVO_AUTH).status_code == 200
    row = delivery(api, "e4")
    assert row.status == DeliveryStatus.DELIVERED.value
    assert row.provider_message_id == "<m4@relay>"


def test_unknown_message_id_is_404_and_a_batch_changes_nothing(api: TestClient) -> None:
    add_delivery(api, "e5", provider_message_id="<m5>")
    batch = [email_event("delivered", "<m5>"), email_event("delivered", "<nobody>", custom="zzz")]
    response = api.post("/api/webhooks/brevo", json=batch, headers=BREVO_AUTH)
    assert response.status_code == 404
    assert response.json() == {
        "error": "no delivery has this provider message id",
        "detail": ["<nobody>"],
    }
    assert delivery(api, "e5").status == DeliveryStatus.SENT.value


@pytest.mark.parametrize(
    "body",
    [{"event": "delivered"}, {"message-id": "<m>"}, {"msg_status": "delivered"}, [1, 2], "text"],
)
def test_malformed_bodies_are_422(api: TestClient, body: Any) -> None:
    response = api.post("/api/webhooks/brevo", json=body, headers=BREVO_AUTH)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid request"


def test_secret_is_required(api: TestClient) -> None:
    add_delivery(api, "e6", provider_message_id="<m6>")
    body = email_event("delivered", "<m6>")
    assert api.post("/api/webhooks/brevo", json=body).status_code == 401
    wrong = api.post("/api/webhooks/brevo", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert api.post("/api/webhooks/brevo", json=body, headers=POSTAL_AUTH).status_code == 401
    basic = api.post("/api/webhooks/brevo", json=body, auth=("brevo", BREVO_SECRET))
    assert basic.status_code == 200
    assert delivery(api, "e6").status == DeliveryStatus.DELIVERED.value


def test_sms_events(api: TestClient) -> None:
    add_delivery(api, "s1", channel="sms", provider_message_id="1511882900176220")
    add_delivery(api, "s2", channel="sms", provider_message_id="1511882900176221")
    delivered = {
        "id": 26570,
        "to": "33612345678",
        "sms_count": 1,
        "credits_used": 1.5,
        "messageId": 1511882900176220,
        "remaining_credit": 100.5,
        "msg_status": "delivered",
        "date": "2026-12-01 10:00:00",
        "type": "transactional",
        "reference": "ab1cde2fgh",
    }
    bounced = delivered | {
        "messageId": 1511882900176221,
        "msg_status": "hard_bounce",
        "description": "absent",
    }
    response = api.post("/api/webhooks/brevo", json=[delivered, bounced], headers=BREVO_AUTH)
    assert response.status_code == 200, response.text
    assert delivery(api, "s1").status == DeliveryStatus.DELIVERED.value
    failed = delivery(api, "s2")
    assert failed.status == DeliveryStatus.FAILED.value
    assert failed.last_error == "brevo sms_hard_bounce: absent"


def test_postal_letter_lifecycle(api: TestClient) -> None:
    add_delivery(
        api, "p1", channel="postal", status=DeliveryStatus.PUBLISHED, provider_message_id="ltr_9"
    )

    def post(status: str, **extra: Any) -> Any:
        body = {"event_id": f"evt_{status}", "letter_id": "ltr_9", "status": status, **extra}
        return api.post("/api/webhooks/postal", json=body, headers=POSTAL_AUTH)

    assert post("submitted").json()["results"][0]["status"] == "sent"
    assert post("sent").json()["results"][0]["outcome"] == "ignored"
    assert post("delivered").json()["results"][0]["status"] == "delivered"
    assert post("undeliverable", reason="moved").json()["results"][0]["outcome"] == "ignored"
    assert delivery(api, "p1").status == DeliveryStatus.DELIVERED.value


def test_postal_undeliverable_unknown_and_auth(api: TestClient) -> None:
    add_delivery(api, "p2", channel="postal", provider_message_id="ltr_10")
    body = {"letter_id": "ltr_10", "status": "undeliverable", "reason": "addressee unknown"}
    assert api.post("/api/webhooks/postal", json=body, headers=BREVO_AUTH).status_code == 401
    assert api.post("/api/webhooks/postal", json=body, headers=POSTAL_AUTH).status_code == 200
    row = delivery(api, "p2")
    assert row.status == DeliveryStatus.FAILED.value
    assert row.last_error == "letter undeliverable: addressee unknown"
    unknown = {"letter_id": "ltr_404", "status": "delivered"}
    assert api.post("/api/webhooks/postal", json=unknown, headers=POSTAL_AUTH).status_code == 404
    bad = {"letter_id": "ltr_10", "status": "lost"}
    assert api.post("/api/webhooks/postal", json=bad, headers=POSTAL_AUTH).status_code == 422


def test_webhooks_answer_503_until_a_secret_is_configured(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    settings = ApiSettings(
        data_dir=tmp_path / "d",
        keys_dir=tmp_path / "k",
        backup_dir=tmp_path / "b",
        nats_url=nats_server.url,
    )
    with TestClient(create_app(settings)) as client:
        response = client.post("/api/webhooks/brevo", json=email_event("delivered", "<m>"))
    assert response.status_code == 503
    assert "VAULT03_API_BREVO_WEBHOOK_SECRET" in response.json()["error"]


def test_openapi_documents_the_webhooks(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert {"401", "404", "503", "422"} <= set(paths["/api/webhooks/brevo"]["post"]["responses"])
    assert "/api/webhooks/postal" in paths
