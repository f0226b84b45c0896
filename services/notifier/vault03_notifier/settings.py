"""Notifier settings (`VAULT03_NOTIFIER_*`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from vault03_common.runtime import WorkerSettings


class NotifierSettings(WorkerSettings):
    model_config = SettingsConfigDict(
        env_prefix="VAULT03_NOTIFIER_", extra="ignore", populate_by_name=True
    )

    http_port: int = 9104
    """Port of the worker's /healthz and /metrics."""
    chat_ids: list[str] = ["operators"]
    """Telegram chats that get a message without a chat of its own (JSON list)."""
