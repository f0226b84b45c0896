"""Postal worker settings (`VAULT03_POSTAL_*`)."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from vault03_common.runtime import WorkerSettings
from vault03_common.settings import optional_secret


class PostalSettings(WorkerSettings):
    model_config = SettingsConfigDict(
        env_prefix="VAULT03_POSTAL_", extra="ignore", populate_by_name=True
    )

    http_port: int = 9103
    """Port of the worker's /healthz and /metrics."""
    printmail_api_key: SecretStr | None = None
    """Print-and-mail API key; when set, letters are submitted, otherwise PDFs go to the sink."""
    printmail_base_url: str = ""
    """Print-and-mail API base URL (required with the key)."""
    printmail_color: bool = False
    """Print letters in colour."""
    printmail_duplex: bool = False
    """Print on both sides."""
    printmail_delivery_product: Literal["economy", "standard", "fast", "registered"] = "standard"
    """Postal service level."""

    @property
    def uses_printmail(self) -> bool:
        return optional_secret(self.printmail_api_key) is not None

    @model_validator(mode="after")
    def _base_url_with_key(self) -> PostalSettings:
        if self.uses_printmail and not self.printmail_base_url:
            raise ValueError("VAULT03_POSTAL_PRINTMAIL_BASE_URL is required with the API key")
        return self
