"""API settings: `VAULT03_API_*` environment variables over `config.yaml` over defaults."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from vault03_common.settings import ServiceSettings

CONFIG_ENV = "VAULT03_CONFIG"


class ApiSettings(ServiceSettings):
    """Every API setting; the README's configuration reference lists them."""

    model_config = SettingsConfigDict(
        env_prefix="VAULT03_API_", extra="ignore", populate_by_name=True
    )

    host: str = "127.0.0.1"
    port: int = 8041
    public_url: str = "http://127.0.0.1:8041"
    data_dir: Path = Path("var/data")
    keys_dir: Path = Path("var/keys")
    backup_dir: Path = Path("var/backup")
    disk_usage_max_percent: float = 90.0
    nats_grace_seconds: float = 30.0
    outbox_poll_seconds: float = 1.0
    outbox_batch_size: int = 100
    # Shared secrets the providers send to /api/webhooks/* (bearer token or basic-auth
    # password); a webhook whose secret is unset answers 503 and changes nothing.
    brevo_webhook_secret: SecretStr | None = None
    postal_webhook_secret: SecretStr | None = None

    @property
    def database_path(self) -> Path:
        return self.data_dir / "data.db"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_path = os.environ.get(CONFIG_ENV)
        if config_path:
            if not Path(config_path).is_file():
                raise FileNotFoundError(
                    f"{CONFIG_ENV} points to {config_path}, which is not a file"
                )
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_path))
        return (*sources, file_secret_settings)
