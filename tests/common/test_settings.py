from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsConfigDict

from vault03_api.settings import ApiSettings
from vault03_common.settings import ServiceSettings
from vault03_email.settings import EmailSettings


class _WithSecret(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VAULT03_TEST_", populate_by_name=True)
    api_key: SecretStr | None = None


def test_each_service_reads_its_own_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT03_EMAIL_HTTP_PORT", "9911")
    monkeypatch.setenv("VAULT03_API_PORT", "9912")
    assert EmailSettings().http_port == 9911
    assert ApiSettings().port == 9912


def test_nats_url_and_environment_are_fleet_wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT03_NATS_URL", "nats://nats:4222")
    monkeypatch.setenv("VAULT03_ENVIRONMENT", "production")
    monkeypatch.setenv("VAULT03_API_OFFICE_NAME", "Cabinet Dupont")  # production needs them
    monkeypatch.setenv("VAULT03_API_OFFICE_ADDRESS", '["8 quai Saint-Vincent", "69001 Lyon"]')
    assert EmailSettings().nats_url == "nats://nats:4222"
    assert ApiSettings().environment == "production"
    assert ApiSettings().office.address == ("8 quai Saint-Vincent", "69001 Lyon")


def test_placeholder_secret_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT03_ENVIRONMENT", "production")
    monkeypatch.setenv("VAULT03_TEST_API_KEY", "change-me")
    with pytest.raises(ValidationError, match="api_key holds a placeholder secret"):
        _WithSecret()


def test_placeholder_secret_allowed_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT03_TEST_API_KEY", "change-me")
    assert _WithSecret().api_key is not None


def test_real_secret_accepted_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT03_ENVIRONMENT", "production")
    monkeypatch.setenv("VAULT03_TEST_API_KEY", "xkeysib-5f2c9a")
    assert _WithSecret().api_key == SecretStr("xkeysib-5f2c9a")


def test_config_yaml_is_read_and_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("public_url: https://vault.example.org\nport: 8100\n")
    monkeypatch.setenv("VAULT03_CONFIG", str(config))
    monkeypatch.setenv("VAULT03_API_PORT", "8200")
    settings = ApiSettings()
    assert settings.public_url == "https://vault.example.org"
    assert settings.port == 8200


def test_missing_config_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT03_CONFIG", "/nonexistent/config.yaml")
    with pytest.raises(FileNotFoundError, match="VAULT03_CONFIG"):
        ApiSettings()
