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
    sender_email: str = "vault03@localhost"
    sender_name: str = "VAULT03"
    reply_to: str | None = None
    # Brevo is used when a key is set; without one, emails go to the local sink.
    brevo_api_key: SecretStr | None = None
    brevo_base_url: str = "https://api.brevo.com/v3"
    # Brevo's sandbox: requests are validated and answered but nothing is delivered.
    brevo_sandbox: bool = False

    @property
    def uses_brevo(self) -> bool:
        return optional_secret(self.brevo_api_key) is not None
