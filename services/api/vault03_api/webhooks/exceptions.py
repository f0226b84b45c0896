"""Errors of the provider webhooks."""

from __future__ import annotations

from vault03_api.errors import AppError, NotFound


class WebhookUnauthorized(AppError):
    status_code = 401


class WebhookDisabled(AppError):
    status_code = 503


class UnknownMessage(NotFound):
    """No delivery carries the provider message id an event names."""
