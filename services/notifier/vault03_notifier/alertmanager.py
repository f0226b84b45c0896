"""`POST /alertmanager`: Alertmanager's webhook, forwarded straight to Telegram.

It does not go through NATS or the API, so operators hear about an outage of either. The
request must carry the shared secret (Alertmanager `http_config.authorization.credentials`,
or as the basic-auth password). A 2xx means every chat got the message; otherwise
Alertmanager retries.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from vault03_common.auth import secret_matches
from vault03_common.runtime import DeliveryError, TransientError
from vault03_common.settings import optional_secret
from vault03_notifier.handler import TelegramSender
from vault03_notifier.settings import NotifierSettings
from vault03_notifier.text import Span

log = logging.getLogger(__name__)


class Alert(BaseModel):
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str = ""


class AlertmanagerWebhook(BaseModel):
    """Alertmanager's webhook body (version 4)."""

    version: str = "4"
    groupKey: str = ""
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[Alert]


def format_alerts(webhook: AlertmanagerWebhook) -> list[Span]:
    """The Telegram message for one webhook: a header, then each alert's name and summary."""
    firing = [alert for alert in webhook.alerts if alert.status == "firing"]
    resolved = [alert for alert in webhook.alerts if alert.status == "resolved"]
    group = ", ".join(f"{key}={value}" for key, value in sorted(webhook.groupLabels.items()))
    title = "FIRING" if webhook.status == "firing" else "RESOLVED"
    spans = [Span(f"VAULT03 {title}", bold=True), Span(f" ({group})\n" if group else "\n")]
    for heading, alerts in (("Firing", firing), ("Resolved", resolved)):
        if not alerts:
            continue
        spans.append(Span(f"\n{heading}: {len(alerts)}\n", bold=True))
        for alert in alerts:
            spans.extend(_alert_spans(alert))
    if webhook.truncatedAlerts:
        spans.append(Span(f"\n... and {webhook.truncatedAlerts} more alert(s)\n"))
    return spans


def _alert_spans(alert: Alert) -> list[Span]:
    name = alert.labels.get("alertname", "alert")
    severity = alert.labels.get("severity")
    spans = [Span("- "), Span(name, bold=True)]
    if severity:
        spans.append(Span(f" [{severity}]"))
    if where := alert.labels.get("instance") or alert.labels.get("service"):
        spans.extend([Span(" on "), Span(where, code=True)])
    spans.append(Span("\n"))
    summary = alert.annotations.get("summary") or alert.annotations.get("description")
    if summary:
        spans.append(Span(f"  {summary}\n"))
    if alert.status == "firing" and alert.startsAt is not None:
        spans.append(Span(f"  since {alert.startsAt:%Y-%m-%d %H:%M:%S %Z}\n"))
    return spans


def alertmanager_routes(client: TelegramSender, settings: NotifierSettings) -> list[Route]:
    """The webhook route, bound to the notifier's Telegram sender."""

    async def receive(request: Request) -> JSONResponse:
        secret = optional_secret(settings.alertmanager_token)
        if secret is None:
            return JSONResponse(
                {"error": "alertmanager webhook disabled: VAULT03_NOTIFIER_ALERTMANAGER_TOKEN"},
                status_code=503,
            )
        if not secret_matches(request.headers.get("authorization"), secret):
            return JSONResponse(
                {"error": "missing or wrong credentials"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            webhook = AlertmanagerWebhook.model_validate_json(await request.body())
        except ValidationError as exc:
            detail = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
            return JSONResponse({"error": "not an Alertmanager webhook", "detail": detail}, 400)
        spans = format_alerts(webhook)
        notification = uuid.uuid4().hex  # Alertmanager's repeats are new notifications
        try:
            for chat_id in settings.chat_ids:
                await client.send(
                    key=f"alert:{notification}:{chat_id}", chat_id=chat_id, spans=spans
                )
        except DeliveryError as exc:
            log.error("alert not forwarded to Telegram", extra={"error": str(exc)})
            status = 503 if isinstance(exc, TransientError) else 502
            return JSONResponse({"error": "Telegram refused the alert", "detail": str(exc)}, status)
        log.info(
            "alerts forwarded",
            extra={"status": webhook.status, "alerts": len(webhook.alerts)},
        )
        return JSONResponse({"forwarded": len(webhook.alerts), "chats": len(settings.chat_ids)})

    return [Route("/alertmanager", receive, methods=["POST"])]
