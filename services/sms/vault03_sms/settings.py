"""SMS worker settings (`VAULT03_SMS_*`)."""

from __future__ import annotations

import re

from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from vault03_common.runtime import WorkerSettings
from vault03_common.settings import optional_secret

# Brevo's sender limits: up to 11 alphanumeric characters, or up to 15 digits.
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
_NUMERIC_SENDER = re.compile(r"^\+?[0-9]{1,15}$")


def check_sender(sender: str) -> str:
    """The sender unchanged when Brevo accepts it; ValueError saying why not otherwise."""
    if _NUMERIC_SENDER.match(sender) or _ALPHANUMERIC_SENDER.match(sender):
        return sender
    raise ValueError(
        f"SMS sender {sender!r} is invalid: use up to 11 letters and digits, or up to 15 digits"
    )


class SmsSettings(WorkerSettings):
    model_config = SettingsConfigDict(
        env_prefix="VAULT03_SMS_", extra="ignore", populate_by_name=True
    )

    http_port: int = 9102
    """Port of the worker's /healthz and /metrics."""
    sender: str = "VAULT03"
    """Sender name or number shown on the SMS."""
    max_segments: int = 4
    """Longest SMS in segments; longer texts are refused (permanent error), not split."""
    brevo_api_key: SecretStr | None = None
    """Brevo API key; when set, SMS go through Brevo, otherwise to the local sink."""
    brevo_base_url: str = "https://api.brevo.com/v3"
    """Brevo API base URL."""
    brevo_webhook_url: str | None = None
    """URL Brevo calls with each message's events (point it at /api/webhooks/brevo)."""

    @field_validator("sender")
    @classmethod
    def _valid_sender(cls, value: str) -> str:
        return check_sender(value)

    @property
    def uses_brevo(self) -> bool:
        return optional_secret(self.brevo_api_key) is not None
