"""The README's settings reference and env/*.env.example follow the settings classes."""

from __future__ import annotations

import json
import os

import pytest

from infra.scripts.settings_doc import (
    README,
    SERVICES,
    container_values,
    env_example_path,
    env_name,
    outdated,
    service_fields,
)


def test_generated_reference_is_up_to_date() -> None:
    stale = [str(path.name) for path in outdated()]
    assert not stale, f"out of date with the settings classes: {stale}; run `make docs`"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_setting_says_what_it_means(service: str) -> None:
    for name, field in SERVICES[service].model_fields.items():
        assert field.description, f"{SERVICES[service].__name__}.{name}: add a docstring under it"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_setting_is_in_the_readme_and_its_env_example(service: str) -> None:
    settings = SERVICES[service]
    readme = README.read_text()
    example = env_example_path(service).read_text()
    for name, field in settings.model_fields.items():
        variable = env_name(settings, name, field)
        assert f"`{variable}`" in readme
        if name in dict(service_fields(settings)):
            assert f"{variable}=" in example


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_example_values_load_as_written(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Uncommenting any example line unchanged keeps the container's value (valid syntax)."""
    for key in list(os.environ):
        if key.startswith("VAULT03_"):
            monkeypatch.delenv(key)
    for line in env_example_path(service).read_text().splitlines():
        if line.startswith("#VAULT03_"):
            key, _, value = line[1:].partition("=")
            if value:
                monkeypatch.setenv(key, value)
    settings = SERVICES[service]()
    for name, field in service_fields(SERVICES[service]):
        expected = container_values(service).get(env_name(SERVICES[service], name, field))
        if expected is not None:
            value = getattr(settings, name)
            shown = json.dumps(value) if isinstance(value, list | dict) else str(value)
            assert shown == expected
