"""Email worker settings (`VAULT03_EMAIL_*`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from vault03_common.runtime import WorkerSettings


class EmailSettings(WorkerSettings):
    model_config = SettingsConfigDict(
        env_prefix="VAULT03_EMAIL_", extra="ignore", populate_by_name=True
    )

    http_port: int = 9101
    """Port of the worker's /healthz and /metrics."""
    sender_email: str = "vault03@localhost"
    """From address of every email."""
    sender_name: str = "VAULT03"
    """From name of every email."""
