"""A deployment directory as an operator has it after the README's first step."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from infra.scripts.settings_doc import SERVICES, env_example_path

ROOT = Path(__file__).resolve().parents[2]


def deployment_copy(destination: Path) -> Path:
    """compose.yaml, what the images build from, and env/<service>.env from the examples."""
    destination.mkdir(parents=True)
    for entry in ("compose.yaml", ".dockerignore", "infra", "services"):
        source = ROOT / entry
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(source, destination / entry, ignore=ignore)
        else:
            shutil.copy2(source, destination / entry)
    (destination / "env").mkdir()
    for service in SERVICES:
        shutil.copy2(env_example_path(service), destination / "env" / f"{service}.env")
    return destination


# The images' user (services/*/Dockerfile): bind-mounted state must be writable by it.
IMAGE_UID = 10003


def prepare_api_state(project: Path) -> None:
    """The README's step 1: data, logs, backup and keys for the api, and config.yaml."""
    for name, mode in (("data", 0o750), ("logs", 0o750), ("backup", 0o750), ("keys", 0o700)):
        directory = project / name
        directory.mkdir()
        if os.geteuid() == 0:
            os.chown(directory, IMAGE_UID, IMAGE_UID)
            directory.chmod(mode)
        else:  # without root the owner cannot be given away: let the container user in
            directory.chmod(0o777)
    config = project / "config.yaml"
    shutil.copy2(ROOT / "infra" / "config.example.yaml", config)
    config.chmod(0o644)
