"""Settings base: environment variables with a per-service prefix, placeholder secrets refused."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that mean "nobody configured this yet"; refused outside development.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "password", "xxx", "todo"})

DEFAULT_NATS_URL = "nats://127.0.0.1:4223"


class ServiceSettings(BaseSettings):
    """Settings every service shares; subclasses set their own `env_prefix`."""

    # Attribute docstrings become field descriptions: the README's settings reference.
    model_config = SettingsConfigDict(
        env_prefix="VAULT03_", extra="ignore", populate_by_name=True, use_attribute_docstrings=True
    )

    # Fleet-wide: one environment and one NATS server for every service.
    environment: Literal["development", "production"] = Field(
        "development", validation_alias="VAULT03_ENVIRONMENT"
    )
    """`production` refuses placeholder secrets; `development` allows them."""
    nats_url: str = Field(DEFAULT_NATS_URL, validation_alias="VAULT03_NATS_URL")
    """The NATS server (JetStream) every service connects to."""
    log_level: str = "INFO"
    """Lowest level logged (DEBUG, INFO, WARNING, ERROR)."""
    log_file: Path | None = None
    """Also write JSON log lines here (reopened after logrotate); stdout only when unset."""

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServiceSettings:
        if self.environment == "development":
            return self
        for name, value in self:
            if isinstance(value, SecretStr) and is_placeholder(value):
                raise ValueError(
                    f"{name} holds a placeholder secret; set a real value "
                    f"(or leave it unset where it is optional) before running in production"
                )
        return self


def is_placeholder(secret: SecretStr | None) -> bool:
    """True when a secret is set but holds an obvious placeholder."""
    if secret is None:
        return False
    return secret.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS


def optional_secret(secret: SecretStr | None) -> str | None:
    """The secret's value, or None when it is unset or empty."""
    if secret is None:
        return None
    return secret.get_secret_value() or None
