"""Login throughput at saturation beside raw argon2 verifies on the same cores, and the p99 of
GET /api/health during a login storm beside its idle p99 (login must not starve the loop).

Runs a real API process (and a NATS server) on loopback with a throwaway data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import uvloop
from argon2 import PasswordHasher

from vault03_api.devrun import nats_config, nats_server_binary
from vault03_api.passwords import lower_priority, make_hasher
from vault03_api.settings import ApiSettings

if TYPE_CHECKING:
    from multiprocessing.sharedctypes import Synchronized
    from multiprocessing.synchronize import Event as EventType

PASSWORD = "benchmark password 1234"  # noqa: S105
# Each phase (reference, idle health, logins counted in a storm, health in a storm) runs
# SECONDS in all, in ROUNDS turns of a second. On shared cores one round's ratio varies by
# about 0.1 (the machine's speed moves from second to second): 30 rounds put the whole run's
# ratio within about 0.02 of where it would settle.
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", str(round(SECONDS))))
STORM_WARM_UP = 0.25  # seconds from (re)starting the storm to saturation: all clients queue at once
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


def raw_argon2_verifies(hasher: PasswordHasher, stored: str, seconds: float) -> tuple[int, float]:
    """(verifies, seconds taken) with one thread per core at the API's hashing priority."""
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
    return sum(counts), time.monotonic() - started


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


@dataclass(frozen=True)
class StormControl:
    """Shared with the storm's process: `go` while it should log in, `stop` to end it; it
    counts logins answered in `done` and requests outstanding in `in_flight`."""

    go: EventType
    stop: EventType
    done: Synchronized[int]
    in_flight: Synchronized[int]


async def _storm_clients(port: int, control: StormControl) -> None:
    """CONCURRENCY keep-alive connections logging in back to back while `go` is set."""
    going = asyncio.Event()

    async def follow_go() -> None:
        # One poller for all clients: the paused storm wakes 100 times a second, not 800.
        while not control.stop.is_set():
            if control.go.is_set():
                going.set()
            else:
                going.clear()
            await asyncio.sleep(0.01)
        going.set()

    async def one_client(index: int) -> None:
        body = login_body(index)
        request = (
            f"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while True:
            await going.wait()
            if control.stop.is_set():
                break
            control.in_flight.value += 1  # this process is the only writer of both counts
            writer.write(request)
            status, text = await _read_response(reader)
            control.in_flight.value -= 1
            if status != 200:
                raise RuntimeError(f"login failed: {status} {text!r}")
            control.done.value += 1
        writer.close()

    poller = asyncio.create_task(follow_go())
    await asyncio.gather(*(one_client(i) for i in range(CONCURRENCY)))
    await poller


def login_storm(port: int, control: StormControl) -> None:
    """The storm's process: one uvloop event loop, so the load generator takes little of the
    cores it shares with the API (0.15 ms of CPU per login; a thread per client with
    http.client took 0.35 ms)."""
    uvloop.run(_storm_clients(port, control))


class Storm:
    """A login storm in its own process for the whole measurement, paused between phases."""

    def __init__(self, port: int) -> None:
        self.control = StormControl(
            go=multiprocessing.Event(),
            stop=multiprocessing.Event(),
            done=multiprocessing.Value("q", 0, lock=False),
            in_flight=multiprocessing.Value("i", 0, lock=False),
        )
        self.process = multiprocessing.Process(
            target=login_storm, args=(port, self.control), daemon=True
        )
        self.process.start()

    @contextlib.contextmanager
    def running(self) -> Iterator[Synchronized[int]]:
        """Saturation while the block runs; yields the running login count."""
        self.control.go.set()
        time.sleep(STORM_WARM_UP)
        try:
            yield self.control.done
        finally:
            self.control.go.clear()
            while self.control.in_flight.value and self.process.is_alive():
                time.sleep(0.005)  # the API is idle again once the last answer is in

    def __enter__(self) -> Storm:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.control.stop.set()
        self.process.join()
        if self.process.exitcode != 0:
            raise SystemExit("the login storm failed (see above)")


@dataclass
class Figures:
    """What each round measured: (count, seconds) of the reference's verifies and of the
    storm's logins, and the health latencies idle and during the storm."""

    references: list[tuple[int, float]] = field(default_factory=list)
    storms: list[tuple[int, float]] = field(default_factory=list)
    idle: list[float] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)

    @staticmethod
    def rate(counts: list[tuple[int, float]]) -> float:
        return sum(count for count, _ in counts) / sum(seconds for _, seconds in counts)

    def round_ratios(self) -> list[float]:
        return [
            self.rate([storm]) / self.rate([reference])
            for storm, reference in zip(self.storms, self.references, strict=True)
        ]


def reference_phase(figures: Figures, hasher: PasswordHasher, stored: str, seconds: float) -> None:
    figures.references.append(raw_argon2_verifies(hasher, stored, seconds))


def idle_phase(figures: Figures, port: int, seconds: float) -> None:
    figures.idle += health_latencies(port, seconds=seconds)


def storm_phase(figures: Figures, storm: Storm, port: int, seconds: float) -> None:
    """Logins counted over `seconds` at saturation, then health probed as long in the same
    storm. Throughput is counted without the probe: its hundred requests a second are load
    the reference does not carry (about 5% of two cores)."""
    with storm.running() as done:
        first, started = done.value, time.monotonic()
        time.sleep(seconds)
        figures.storms.append((done.value - first, time.monotonic() - started))
        figures.busy += health_latencies(port, seconds=seconds)


def measure(port: int, hasher: PasswordHasher, stored: str) -> Figures:
    """ROUNDS rounds of the reference, idle health and a storm, in turn.

    The machine's speed drifts (other tenants of shared cores): alternating short phases puts
    the reference and the API under the same drift, where one long phase each would compare
    a quiet minute with a busy one. Odd rounds run their phases in reverse order.
    """
    for i in range(CONCURRENCY):  # warm up
        post_login(http.client.HTTPConnection("127.0.0.1", port, timeout=60), i)
    figures = Figures()
    seconds = SECONDS / ROUNDS
    with Storm(port) as storm:
        for number in range(ROUNDS):
            phases = [
                functools.partial(reference_phase, figures, hasher, stored, seconds),
                functools.partial(idle_phase, figures, port, seconds),
                functools.partial(storm_phase, figures, storm, port, seconds),
            ]
            for phase in phases if number % 2 == 0 else reversed(phases):
                phase()
    return figures


def main() -> None:
    settings = ApiSettings()
    hasher = make_hasher(settings)
    stored = hasher.hash(PASSWORD)
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
            figures = measure(api_port, hasher, stored)
        finally:
            api.terminate()
            api.wait(timeout=60)
            nats.terminate()
            nats.wait(timeout=30)
    argon2_rate, login_rate = Figures.rate(figures.references), Figures.rate(figures.storms)
    params = (
        f"m={settings.argon2_memory_kib}KiB t={settings.argon2_time_cost} "
        f"p={settings.argon2_parallelism}"
    )
    print(
        f"argon2id {params}, {CORES} core(s), {CONCURRENCY} concurrent clients, "
        f"{ROUNDS} rounds of {SECONDS / ROUNDS:g}s per phase"
    )
    print(f"raw argon2 verifies/s ({CORES} threads): {argon2_rate:.1f}")
    print(f"logins/s at saturation (POST /api/auth/login): {login_rate:.1f}")
    ratios = figures.round_ratios()
    print(
        f"logins/argon2 by round: min {min(ratios):.2f}, quartiles "
        + " / ".join(f"{cut:.2f}" for cut in statistics.quantiles(ratios, n=4))
        + f", max {max(ratios):.2f}"
    )
    idle, busy = figures.idle, figures.busy
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
