"""A deployment directory as an operator has it: a copy of what compose.yaml builds from."""

from __future__ import annotations

import shutil
from pathlib import Path

from infra.scripts.settings_doc import SERVICES, env_example_path

ROOT = Path(__file__).resolve().parents[2]


def deployment_copy(destination: Path, *, env_files: bool = True) -> Path:
    """compose.yaml, what the images build from, the console's sources, and env/<service>.env
    from the examples (without `env_files`, the examples alone: the README's step 2 copies
    them)."""
    destination.mkdir(parents=True)
    for entry in ("compose.yaml", ".dockerignore", "infra", "services", "ui"):
        source = ROOT / entry
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", "dist")
            shutil.copytree(source, destination / entry, ignore=ignore)
        else:
            shutil.copy2(source, destination / entry)
    (destination / "env").mkdir()
    for service in SERVICES:
        example = env_example_path(service)
        shutil.copy2(
            example, destination / "env" / (f"{service}.env" if env_files else example.name)
        )
    return destination
