"""Postal worker settings (`VAULT03_POSTAL_*`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from vault03_common.runtime import WorkerSettings


class PostalSettings(WorkerSettings):
    model_config = SettingsConfigDict(
        env_prefix="VAULT03_POSTAL_", extra="ignore", populate_by_name=True
    )

    http_port: int = 9103
    """Port of the worker's /healthz and /metrics."""
    sender_name: str = "VAULT03"
    """Sender name printed on letters."""
    sender_address: str = ""
    """Sender address printed on letters (lines separated by newlines)."""
