"""`POST /api/webhooks/brevo` and `POST /api/webhooks/postal` (HTTP only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request

from vault03_api.auth.access import public
from vault03_api.deps import SessionDep, SettingsDep
from vault03_api.errors import error_responses
from vault03_api.webhooks.exceptions import UnknownMessage, WebhookDisabled, WebhookUnauthorized
from vault03_api.webhooks.schemas import (
    BrevoWebhookBody,
    PostalLetterEvent,
    WebhookResult,
)
from vault03_api.webhooks.service import apply_brevo_events, apply_postal_event
from vault03_common.auth import secret_matches
from vault03_common.settings import optional_secret

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


def _check(request: Request, secret: str | None, *, setting: str) -> None:
    if secret is None:
        raise WebhookDisabled(f"webhook disabled: set {setting}")
    if not secret_matches(request.headers.get("authorization"), secret):
        raise WebhookUnauthorized("missing or wrong webhook credentials")


def brevo_auth(request: Request, settings: SettingsDep) -> None:
    secret = optional_secret(settings.brevo_webhook_secret)
    _check(request, secret, setting="VAULT03_API_BREVO_WEBHOOK_SECRET")


def postal_auth(request: Request, settings: SettingsDep) -> None:
    secret = optional_secret(settings.postal_webhook_secret)
    _check(request, secret, setting="VAULT03_API_POSTAL_WEBHOOK_SECRET")


_ERRORS = error_responses(WebhookUnauthorized, WebhookDisabled, UnknownMessage)


@router.post(
    "/brevo",
    response_model=WebhookResult,
    responses=_ERRORS,
    dependencies=[Depends(brevo_auth)],
)
@public  # no staff session: the provider proves itself with the shared secret
def brevo_webhook(body: Annotated[BrevoWebhookBody, Body()], session: SessionDep) -> WebhookResult:
    """Brevo email and SMS events: delivered, bounces, blocked, spam, opens..."""
    events = body if isinstance(body, list) else [body]
    return WebhookResult(results=apply_brevo_events(session, events=events))


@router.post(
    "/postal",
    response_model=WebhookResult,
    responses=_ERRORS,
    dependencies=[Depends(postal_auth)],
)
@public  # as above
def postal_webhook(event: PostalLetterEvent, session: SessionDep) -> WebhookResult:
    """Letter status changes: submitted, sent, delivered, undeliverable."""
    return WebhookResult(results=[apply_postal_event(session, event=event)])
