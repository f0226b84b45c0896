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
    """Port of the worker's /healthz and /metrics."""
    chat_ids: list[str] = ["operators"]
    """Telegram chats of the operators (JSON list of ids; negative for groups)."""
    telegram_bot_token: SecretStr | None = None
    """Telegram bot token; when set, messages go to Telegram, otherwise to the local sink."""
    telegram_base_url: str = "https://api.telegram.org"
    """Telegram Bot API base URL."""
    parse_mode: Literal["HTML", "MarkdownV2"] = "HTML"
    """How message text is formatted for Telegram."""
    max_inline_retry_after_seconds: float = 30.0
    """A 429 asking to wait up to this long is waited out in place; longer ones are redelivered."""
    alertmanager_token: SecretStr | None = None
    """Shared secret Alertmanager sends to POST /alertmanager (Bearer or basic-auth password)."""

    @property
    def uses_telegram(self) -> bool:
        return optional_secret(self.telegram_bot_token) is not None
