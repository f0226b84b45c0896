"""Notifier settings (`VAULT03_NOTIFIER_*`)."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from vault03_common.runtime import WorkerSettings
from vault03_common.settings import optional_secret


class NotifierSettings(WorkerSettings):
    model_config = SettingsConfigDict(
        env_prefix="VAULT03_NOTIFIER_", extra="ignore", populate_by_name=True
    )

    http_port: int = 9104
    # Telegram chat ids of the operators (numbers; negative for groups).
    chat_ids: list[str] = ["operators"]
    # Telegram is used when a bot token is set; without one, messages go to the local sink.
    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org"
    parse_mode: Literal["HTML", "MarkdownV2"] = "HTML"
    # A 429 asking to wait up to this long is waited out in place; longer waits go back to
    # JetStream as a delayed redelivery.
    max_inline_retry_after_seconds: float = 30.0
    # Shared secret Alertmanager sends (Authorization: Bearer, or as basic-auth password).
    alertmanager_token: SecretStr | None = None

    @property
    def uses_telegram(self) -> bool:
        return optional_secret(self.telegram_bot_token) is not None
