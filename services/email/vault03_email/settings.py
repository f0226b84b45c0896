"""Email worker settings (`VAULT03_EMAIL_*`)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from vault03_common.runtime import WorkerSettings
from vault03_common.settings import optional_secret


class EmailSettings(WorkerSettings):
    model_config = SettingsConfigDict(
        env_prefix="VAULT03_EMAIL_", extra="ignore", populate_by_name=True
    )

    http_port: int = 9101
    """Port of the worker's /healthz and /metrics."""
    sender_email: str = "vault03@localhost"
    """From address of every email (verified at the provider); the name is the office's."""
    reply_to: str | None = None
    """Reply-To address of every email (none when unset)."""
    brevo_api_key: SecretStr | None = None
    """Brevo API key; when set, emails go through Brevo, otherwise to the local sink."""
    brevo_base_url: str = "https://api.brevo.com/v3"
    """Brevo API base URL."""
    brevo_sandbox: bool = False
    """Brevo's sandbox: requests are validated and answered but nothing is delivered."""

    @property
    def uses_brevo(self) -> bool:
        return optional_secret(self.brevo_api_key) is not None
