from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from vault03_common.logging import configure_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_lines_are_json_with_level_service_and_extras(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "vault03.log"
    configure_logging(service="api", log_file=log_file)
    logging.getLogger("vault03.test").error("disk full", extra={"path": "/data"})
    (line,) = _lines(log_file)
    assert line["level"] == "ERROR"
    assert line["service"] == "api"
    assert line["message"] == "disk full"
    assert line["path"] == "/data"
    assert "time" in line


def test_error_lines_match_the_guides_grep(tmp_path: Path) -> None:
    log_file = tmp_path / "vault03.log"
    configure_logging(service="api", log_file=log_file)
    logging.getLogger("x").info("fine")
    logging.getLogger("x").error("broken")
    logging.getLogger("x").exception("crashed")
    error_lines = [line for line in log_file.read_text().splitlines() if "ERROR" in line]
    assert len(error_lines) == 2


def test_file_is_reopened_after_logrotate_moves_it(tmp_path: Path) -> None:
    log_file = tmp_path / "vault03.log"
    configure_logging(service="api", log_file=log_file)
    logging.getLogger("x").warning("before rotation")
    os.rename(log_file, tmp_path / "vault03.log.1")
    logging.getLogger("x").warning("after rotation")
    assert [line["message"] for line in _lines(log_file)] == ["after rotation"]
    assert [line["message"] for line in _lines(tmp_path / "vault03.log.1")] == ["before rotation"]


def test_log_lines_are_counted_once_per_line_by_level(tmp_path: Path) -> None:
    configure_logging(service="counted", log_file=tmp_path / "x.log")

    def count() -> float:
        value = REGISTRY.get_sample_value(
            "vault03_log_lines_total", {"service": "counted", "level": "ERROR"}
        )
        return value or 0.0

    before = count()
    logging.getLogger("x").error("one")
    logging.getLogger("x").error("two")
    assert count() == before + 2


def test_every_level_is_counted_from_zero_at_start_up() -> None:
    configure_logging(service="zero-test")
    for level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        value = REGISTRY.get_sample_value(
            "vault03_log_lines_total", {"service": "zero-test", "level": level}
        )
        assert value == 0, level
