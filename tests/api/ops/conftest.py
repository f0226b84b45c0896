from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.installation import Installation, make_installation


@pytest.fixture
def installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Installation:
    """A migrated database with rows, files, a config.yaml and a master key, env pointed at it."""
    return make_installation(tmp_path, monkeypatch)
