"""Login throughput at saturation beside raw argon2 verifies on the same cores, and the p99 of
GET /api/health during a login storm beside its idle p99 (login must not starve the loop).

Runs a real API process (and a NATS server) on loopback with a throwaway data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import uvloop
from argon2 import PasswordHasher

from vault03_api.auth.passwords import lower_priority, make_hasher
from vault03_api.devrun import nats_config, nats_server_binary
from vault03_api.settings import ApiSettings

if TYPE_CHECKING:
    from multiprocessing.sharedctypes import Synchronized
    from multiprocessing.synchronize import Event as EventType

PASSWORD = "benchmark password 1234"  # noqa: S105
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
CORES = os.cpu_count() or 1
CONCURRENCY = 4 * CORES
HEALTH_INTERVAL = 0.01  # seconds between health probes


def email(index: int) -> str:
    # One account per concurrent client: a single account is throttled per attempt in flight.
    return f"bench{index}@example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {timeout}s")


def raw_argon2_rate(hasher: PasswordHasher, stored: str, seconds: float) -> float:
    """Verifies per second with one thread per core, at the API's hashing thread priority."""
    counts = [0] * CORES
    deadline = time.monotonic() + seconds

    def work(index: int) -> None:
        lower_priority()  # as the API's hashing threads do
        while time.monotonic() < deadline:
            hasher.verify(stored, PASSWORD)
            counts[index] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(CORES)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


def spread(samples: list[float]) -> str:
    """p50 / p90 / p99 in milliseconds."""
    cuts = statistics.quantiles(samples, n=100)
    return " / ".join(f"{cuts[i] * 1000:.1f}" for i in (49, 89, 98))


def login_body(index: int) -> bytes:
    return json.dumps({"email": email(index), "password": PASSWORD}).encode()


def post_login(connection: http.client.HTTPConnection, index: int) -> None:
    body = login_body(index)
    connection.request("POST", "/api/auth/login", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    text = response.read()
    if response.status != 200:
        raise RuntimeError(f"login failed: {response.status} {text!r}")


def health_latencies(port: int, *, seconds: float) -> list[float]:
    """GET /api/health every HEALTH_INTERVAL for `seconds` on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    samples: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        connection.request("GET", "/api/health")
        response = connection.getresponse()
        response.read()
        samples.append(time.perf_counter() - started)
        assert response.status in (200, 503)
        time.sleep(HEALTH_INTERVAL)
    return samples


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """(status, body) of one HTTP/1.1 response with a Content-Length (what the API sends)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return int(status_line.split(" ", 2)[1]), await reader.readexactly(length)


async def _storm_clients(port: int, stop: EventType) -> int:
    """CONCURRENCY keep-alive connections logging in back to back until `stop`."""

    async def one_client(index: int) -> int:
        body = login_body(index)
        request = (
            f"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        count = 0
        while not stop.is_set():
            writer.write(request)
            status, text = await _read_response(reader)
            if status != 200:
                raise RuntimeError(f"login failed: {status} {text!r}")
            if not stop.is_set():
                count += 1
        writer.close()
        return count

    counts = await asyncio.gather(*(one_client(i) for i in range(CONCURRENCY)))
    return sum(counts)


def login_storm(port: int, stop: EventType, done: Synchronized[int]) -> None:
    """The storm's process: one uvloop event loop, so the load generator takes little of the
    cores it shares with the API (0.15 ms of CPU per login; a thread per client with
    http.client took 0.35 ms)."""
    done.value = uvloop.run(_storm_clients(port, stop))


@contextlib.contextmanager
def login_storm_running(port: int) -> Iterator[Synchronized[int]]:
    """A login storm in its own process while the block runs; yields its login count."""
    stop, done = multiprocessing.Event(), multiprocessing.Value("i", 0)
    storm = multiprocessing.Process(target=login_storm, args=(port, stop, done))
    storm.start()
    try:
        yield done
    finally:
        stop.set()
        storm.join()
    if storm.exitcode != 0:
        raise SystemExit("the login storm failed (see above)")


def storm_rate(port: int, *, seconds: float) -> float:
    """Logins per second at saturation, counted over `seconds`."""
    with login_storm_running(port) as done:
        time.sleep(seconds)
    return float(done.value) / seconds


def storm_health(port: int, *, seconds: float) -> list[float]:
    """Health latencies while a login storm runs (probed from saturation on)."""
    with login_storm_running(port):
        time.sleep(1.0)  # reach saturation before probing
        return health_latencies(port, seconds=seconds)


def measure(port: int) -> tuple[float, list[float], list[float]]:
    """(logins/s, idle health latencies, health latencies during a storm) in three phases.

    Throughput is counted in a storm of its own: the probe's hundred requests a second are
    load the reference does not carry (about 5% of two cores), so they would lower the ratio
    without saying anything about login itself.
    """
    for i in range(CONCURRENCY):  # warm up
        post_login(http.client.HTTPConnection("127.0.0.1", port, timeout=60), i)
    # Idle is sampled as long as the storm, half before and half after it: a p99 of a few
    # hundred samples moves with one hiccup of the machine.
    idle = health_latencies(port, seconds=SECONDS / 2)
    login_rate = storm_rate(port, seconds=SECONDS)
    busy = storm_health(port, seconds=SECONDS)
    idle += health_latencies(port, seconds=SECONDS / 2)
    return login_rate, idle, busy


def main() -> None:
    settings = ApiSettings()
    hasher = make_hasher(settings)
    stored = hasher.hash(PASSWORD)
    # The reference runs half before and half after the API run: load drift hits both alike.
    argon2_before = raw_argon2_rate(hasher, stored, SECONDS / 2)
    with tempfile.TemporaryDirectory(prefix="vault03-bench-") as tmp:
        root = Path(tmp)
        nats_port, api_port = free_port(), free_port()
        (root / "nats").mkdir()
        config = root / "nats" / "nats.conf"
        config.write_text(
            nats_config(store_dir=root / "nats", port=nats_port, monitor_port=free_port())
        )
        env = {
            **os.environ,
            "VAULT03_API_PORT": str(api_port),
            "VAULT03_API_DATA_DIR": str(root / "data"),
            "VAULT03_API_KEYS_DIR": str(root / "keys"),
            "VAULT03_API_BACKUP_DIR": str(root / "backup"),
            "VAULT03_NATS_URL": f"nats://127.0.0.1:{nats_port}",
            "VAULT03_API_LOG_LEVEL": "WARNING",
        }
        for i in range(CONCURRENCY):
            created = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from vault03_api.cli import main; main()",
                    "users",
                    "create-admin",
                    "--email",
                    email(i),
                    "--name",
                    f"Bench {i}",
                    "--password-stdin",
                ],
                env=env,
                input=PASSWORD + "\n",
                capture_output=True,
                text=True,
                check=False,
            )
            if created.returncode != 0:
                raise SystemExit(created.stderr)
        nats = subprocess.Popen(
            [str(nats_server_binary()), "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        api = subprocess.Popen(
            [sys.executable, "-m", "vault03_api"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(api_port, timeout=60)
            login_rate, idle, busy = measure(api_port)
        finally:
            api.terminate()
            api.wait(timeout=60)
            nats.terminate()
            nats.wait(timeout=30)
    argon2_rate = (argon2_before + raw_argon2_rate(hasher, stored, SECONDS / 2)) / 2
    params = (
        f"m={settings.argon2_memory_kib}KiB t={settings.argon2_time_cost} "
        f"p={settings.argon2_parallelism}"
    )
    print(
        f"argon2id {params}, {CORES} core(s), {CONCURRENCY} concurrent clients, {SECONDS:g}s runs"
    )
    print(f"raw argon2 verifies/s ({CORES} threads): {argon2_rate:.1f}")
    print(f"logins/s at saturation (POST /api/auth/login): {login_rate:.1f}")
    idle_p99, busy_p99 = p99(idle), p99(busy)
    print(f"GET /api/health p50 / p90 / p99 idle: {spread(idle)} ms ({len(idle)} probes)")
    print(f"GET /api/health p50 / p90 / p99 during login storm: {spread(busy)} ms ({len(busy)})")
    print(
        f"GET /api/health p99 during login storm: {busy_p99 * 1000:.1f} ms "
        f"({busy_p99 / idle_p99:.2f}x idle, target <= 2x)"
    )
    print(f"ratio={login_rate / argon2_rate:.2f} target=0.8")


if __name__ == "__main__":
    main()
