"""A real API process (`python -m vault03_api`) on a free port, its state under a temp dir."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support import free_port, wait_for

# The `vault03` command of the environment running the tests.
VAULT03 = str(Path(sys.executable).parent / "vault03")


def api_environment(root: Path, *, nats_url: str, port: int) -> dict[str, str]:
    """The environment that points an API (or the `vault03` command) at `root`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT03_")}
    # Scripts under test call `vault03` by name, as on a host where it is installed.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        {
            "VAULT03_NATS_URL": nats_url,
            "VAULT03_API_HOST": "127.0.0.1",
            "VAULT03_API_PORT": str(port),
            "VAULT03_API_DATA_DIR": str(root / "data"),
            "VAULT03_API_KEYS_DIR": str(root / "keys"),
            "VAULT03_API_BACKUP_DIR": str(root / "backup"),
            "VAULT03_API_LOG_FILE": str(root / "logs" / "vault03.log"),
        }
    )
    return env


class ApiProcess:
    """Starts the API as the deployment does and waits until /api/health answers."""

    def __init__(self, root: Path, *, nats_url: str, extra_env: dict[str, str] | None = None):
        self.root = root
        self.port = free_port()
        self.env = api_environment(root, nats_url=nats_url, port=self.port)
        self.env.update(extra_env or {})
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vault03_api"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "api.stderr", "ab"),  # noqa: SIM115 (child keeps it)
        )
        wait_for(self._healthy, timeout=60, what="the API to answer /api/health with 200")

    def _healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(
                f"the API exited with {self.process.returncode}: "
                + (self.root / "api.stderr").read_text()[-2000:]
            )
        try:
            return httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self.process = None
