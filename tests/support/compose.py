"""A deployment directory as an operator has it after the README's first step."""

from __future__ import annotations

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
