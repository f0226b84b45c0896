"""infra/logrotate/vault03: `logrotate -d` as the guide runs it, and a live rotation of a log
that a real process writes through vault03_common.logging."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import wait_for
from tests.support.tools import require_tool

CONFIG = Path(__file__).parents[2] / "infra" / "logrotate" / "vault03"

WRITER = """
import logging, sys, time
from pathlib import Path
from vault03_common.logging import configure_logging

configure_logging(service="api", log_file=Path(sys.argv[1]))
log = logging.getLogger("vault03_api.tick")
tick = 0
while True:
    log.info("tick", extra={"tick": tick})
    tick += 1
    time.sleep(0.01)
"""

POSTROTATE = (
    "        systemctl reload vault03 > /dev/null 2>&1 \\\n"
    "            || docker compose --project-directory /opt/vault03 kill -s HUP api email sms"
    " postal notifier > /dev/null 2>&1 \\\n"
    "            || true\n"
)


def ticks(text: str) -> list[int]:
    return [json.loads(line)["tick"] for line in text.splitlines() if line.strip()]


def test_the_guides_logrotate_debug_run_is_clean(tmp_path: Path) -> None:
    logrotate = require_tool("logrotate")
    result = subprocess.run(
        [logrotate, "-d", "-s", str(tmp_path / "state"), str(CONFIG)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "error" not in output.lower(), output
    assert "Handling 3 logs" in output


@pytest.mark.fleet
def test_a_live_log_is_rotated_and_the_writer_carries_on_in_the_new_file(
    tmp_path: Path,
) -> None:
    logrotate = require_tool("logrotate")
    logs = tmp_path / "logs"
    log = logs / "vault03.log"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(log)], stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: log.exists() and len(ticks(log.read_text())) >= 20, what="log lines")
        config = CONFIG.read_text()
        # The same section, on this test's paths; the reload becomes the SIGHUP that
        # `docker compose kill -s HUP` delivers to the services.
        assert POSTROTATE in config
        config = config.replace(POSTROTATE, f"        kill -HUP {writer.pid}\n")
        config = config.replace("/opt/vault03/logs/", f"{logs}/")
        config = config.replace("/var/log/nginx/", f"{tmp_path}/nginx/")
        config = config.replace("/var/log/vault03-backup.log", f"{tmp_path}/backup.log")
        (tmp_path / "vault03.logrotate").write_text(config)
        for rotation in (1, 2):
            before = len(ticks(log.read_text()))
            result = subprocess.run(
                [
                    logrotate,
                    "-f",
                    "-s",
                    str(tmp_path / "state"),
                    str(tmp_path / "vault03.logrotate"),
                ],
                capture_output=True,
                text=True,
            )
            assert result.returncode == 0, result.stderr
            rotated = logs / "vault03.log.1"
            assert rotated.exists() and len(ticks(rotated.read_text())) >= before
            wait_for(
                lambda: log.exists() and len(ticks(log.read_text())) >= 20,
                what=f"new lines in the new file after rotation {rotation}",
            )
            assert log.stat().st_mode & 0o777 == 0o640
    finally:
        writer.terminate()
        writer.wait(timeout=10)
    # delaycompress: the newest rotation stays plain, the one before is compressed.
    oldest = ticks(gzip.decompress((logs / "vault03.log.2.gz").read_bytes()).decode())
    middle = ticks((logs / "vault03.log.1").read_text())
    newest = ticks(log.read_text())
    # Nothing lost and nothing out of order across the two rotations.
    everything = oldest + middle + newest
    assert everything == list(range(len(everything)))
