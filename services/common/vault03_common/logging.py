"""JSON-lines logging to stdout and, optionally, to a file that logrotate can rotate."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import signal
import sys
from pathlib import Path
from typing import Any

from prometheus_client import Counter
from pythonjsonlogger.json import JsonFormatter

LOG_LINES = Counter("vault03_log_lines_total", "Log lines written, by level.", ["service", "level"])
# Every level's series exists from start-up at 0: a series born at its first error would make
# increase() miss that whole first burst (it needs a sample before the rise).
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Names of LogRecord attributes rendered under shorter keys.
_RENAMED = {"levelname": "level", "name": "logger", "asctime": "time"}


class _CountingFilter(logging.Filter):
    """Counts every record that reaches the handlers, by level (alerting on error rates)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        LOG_LINES.labels(self.service, record.levelname).inc()
        return True


class _Formatter(JsonFormatter):
    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        log_data.pop("color_message", None)  # uvicorn's ANSI-coloured copy of the message
        return log_data


def _formatter(service: str) -> JsonFormatter:
    return _Formatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields=_RENAMED,
        static_fields={"service": service},
        timestamp=False,
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def configure_logging(*, service: str, level: str = "INFO", log_file: Path | None = None) -> None:
    """Send JSON lines to stdout (and `log_file`); SIGHUP reopens the file after rotation."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level.upper())
    for existing in root.filters:
        root.removeFilter(existing)
    counter = _CountingFilter(service)
    for name in LEVELS:
        LOG_LINES.labels(service, name)

    stdout = logging.StreamHandler(sys.stdout)
    handlers: list[logging.Handler] = [stdout]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        # WatchedFileHandler reopens when logrotate moves the file away; SIGHUP forces it.
        file_handler = logging.handlers.WatchedFileHandler(log_file, encoding="utf-8")
        handlers.append(file_handler)
        _reopen_on_sighup(file_handler)
    stdout.addFilter(counter)  # every record reaches stdout once: count it there
    for handler in handlers:
        handler.setFormatter(_formatter(service))
        root.addHandler(handler)
    # Uvicorn's own loggers propagate into ours instead of printing plain text.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def _reopen_on_sighup(handler: logging.handlers.WatchedFileHandler) -> None:
    def reopen(signum: int, frame: object) -> None:
        handler.acquire()
        try:
            if handler.stream:
                handler.stream.close()
            handler.stream = handler._open()
        finally:
            handler.release()

    # Outside the main thread (tests) no handler can be set; the file watch still reopens.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGHUP, reopen)
