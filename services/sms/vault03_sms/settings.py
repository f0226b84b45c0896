"""SMS worker settings (`VAULT03_SMS_*`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from vault03_common.runtime import WorkerSettings


class SmsSettings(WorkerSettings):
    model_config = SettingsConfigDict(
        env_prefix="VAULT03_SMS_", extra="ignore", populate_by_name=True
    )

    http_port: int = 9102
    """Port of the worker's /healthz and /metrics."""
    sender: str = "VAULT03"
    """Sender name or number shown on the SMS."""
