"""Email worker settings (`VAULT03_EMAIL_*`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from vault03_common.runtime import WorkerSettings


class EmailSettings(WorkerSettings):
    model_config = SettingsConfigDict(
        env_prefix="VAULT03_EMAIL_", extra="ignore", populate_by_name=True
    )

    http_port: int = 9101
    sender_email: str = "vault03@localhost"
    sender_name: str = "VAULT03"
