"""Benchmark: a crowd of staff at once against the real API, beside a bare Starlette app.

N staff clients (default 50), each logged in with password and TOTP on its own keep-alive
connection, run a mix for a fixed time from this process (uvloop, raw HTTP/1.1) against the
real API process (with NATS):

    30 % listing a vault's files      30 % downloading a file (1-10 MiB)
    15 % uploading a file (1-10 MiB)  15 % creating a share      10 % logging in again

`--reads-only` runs the listing and download part only (50/50). In the same run the same
clients run the same mix against a bare Starlette app on the same uvicorn, serving the same
JSON and bytes from memory (uploads discarded, writes answered with the API's own answers).

Prints requests/s of each and their ratio, p50/p99 per operation, GET /api/health p99 during
the crowd, 5xx count, connection errors, the API's RSS before and after, the CPU time per
operation of the API and of the bare app, and checks that every upload the API acknowledged
reads back identical. Targets (issue 16): zero 5xx and zero
connection errors; p99 < 1 s for reads and < 2 s overall; health p99 < 100 ms; ratio >= 0.5
for the read-only mix. The last line is `ratio=<measured> target=0.5`.

Run: `.venv/bin/python bench/crowd.py [--clients 50] [--reads-only]`; BENCH_SECONDS (default
20) sets how long each side runs. Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import http.client
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from files import Api, free_port, wait_http  # bench/files.py: the API process, curl probes

MIB = 1 << 20
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
WARM_UP = 3.0  # seconds of the mix before counting (connections, caches, the allocator)
PASSWORD = "crowd benchmark password 1234"  # noqa: S105
TARGET = 0.5
HEALTH_INTERVAL = 0.05
BARE_MARKER = "/bench/bare"
SEED_FILES = 8
FULL_MIX = {"list": 30, "download": 30, "upload": 15, "share": 15, "relogin": 10}
READ_MIX = {"list": 50, "download": 50}
READS = ("list", "download")
RANDOM_BLOCK = random.Random(3).randbytes(10 * MIB)


def body_of(tag: str, size: int) -> bytes:
    """An upload body, unique by `tag`, that the verification can rebuild."""
    head = hashlib.sha256(tag.encode()).digest()
    return head + RANDOM_BLOCK[: size - len(head)]


# --- a small HTTP/1.1 client: keep-alive, Content-Length bodies ----------------------------


class Closed(Exception):
    """The server closed or broke the connection."""


class HttpConnection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.opened = self.answered = time.perf_counter()

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port, limit=4 * MIB
            )
            self.opened = self.answered = time.perf_counter()
        assert self.reader is not None
        started = time.perf_counter()
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body)}")
        try:
            self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            received: dict[str, str] = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                if name:
                    received[name.strip().lower()] = value.strip()
            if received.get("transfer-encoding") == "chunked":
                content = await self._chunked()
            else:
                content = await self.reader.readexactly(int(received.get("content-length", "0")))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            now = time.perf_counter()
            self.close()
            raise Closed(
                f"{error} (connection open {now - self.opened:.1f}s, "
                f"idle {started - self.answered:.1f}s before this request)"
            ) from error
        self.answered = time.perf_counter()
        if received.get("connection") == "close":
            self.close()
        return int(status_line.split(" ", 2)[1]), received, content

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
        await self.reader.readexactly(2)
        return b"".join(parts)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def cookie_of(headers: dict[str, str]) -> str:
    return headers["set-cookie"].split(";", 1)[0]


# --- the crowd ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What the clients work on (the same ids on the API and the bare app)."""

    port: int
    read_vault: int
    upload_vault: int
    files: list[str]


@dataclass
class Staff:
    email: str
    totp_secret: str
    last_step: int = 0


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    connection_errors: int = 0
    broken: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    health: list[float] = field(default_factory=list)
    uploads: list[tuple[str, str, int]] = field(default_factory=list)  # (file id, tag, size)
    seconds: float = 0.0
    rss_mib: list[float] = field(default_factory=list)  # after the warm-up, at the end
    cpu_seconds: float = 0.0  # the server's CPU time while counting (user + system)

    @property
    def operations(self) -> int:
        return sum(len(samples) for samples in self.latencies.values())

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


class Client:
    """One staff member: a keep-alive connection, a full session, the mix."""

    def __init__(self, index: int, staff: Staff, target: Target, results: Results) -> None:
        self.index = index
        self.staff = staff
        self.target = target
        self.results = results
        self.connection = HttpConnection(target.port)
        self.auth: dict[str, str] = {}
        self.uploads = 0
        self.random = random.Random(index)

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        json_body: Any = None,
        auth: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        headers = dict(self.auth if auth is None else auth)
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif body:
            headers["Content-Type"] = "application/octet-stream"
        status, received, content = await self.connection.request(
            method, path, headers=headers, body=body
        )
        self.results.statuses[status] += 1
        return status, received, content

    async def login(self) -> None:
        """Password, then (when a fresh TOTP step is there) the code: a full session."""
        from vault03_api.auth import totp

        # The session in use stays until a new one is complete (also if the connection breaks).
        status, headers, content = await self.call(
            "POST",
            "/api/auth/login",
            json_body={"email": self.staff.email, "password": PASSWORD},
            auth={},
        )
        if status != 200:
            raise RuntimeError(f"login: {status} {content[:200]!r}")
        step = totp.current_step(time_now())
        if step <= self.staff.last_step:
            return  # the code of this step is spent: keep the session we have
        pending = {
            "Cookie": cookie_of(headers),
            "X-CSRF-Token": json.loads(content)["csrf_token"],
        }
        code = totp.code_at_step(self.staff.totp_secret, step)
        status, headers, content = await self.call(
            "POST", "/api/auth/totp", json_body={"code": code}, auth=pending
        )
        if status != 200:
            raise RuntimeError(f"totp: {status} {content[:200]!r}")
        self.staff.last_step = step
        self.auth = {
            "Cookie": cookie_of(headers),
            "X-CSRF-Token": json.loads(content)["csrf_token"],
        }

    async def list_files(self) -> None:
        await self.call("GET", f"/api/vaults/{self.target.read_vault}/files")

    async def download(self) -> None:
        await self.call("GET", f"/api/files/{self.random.choice(self.target.files)}/content")

    async def upload(self) -> None:
        self.uploads += 1
        tag, size = f"{self.index}-{self.uploads}", self.random.randint(MIB, 10 * MIB)
        status, _, content = await self.call(
            "PUT",
            f"/api/vaults/{self.target.upload_vault}/files/{tag}.bin",
            body=body_of(tag, size),
        )
        if status == 201:
            self.results.uploads.append((json.loads(content)["id"], tag, size))

    async def share(self) -> None:
        await self.call("POST", f"/api/vaults/{self.target.read_vault}/shares", json_body={})

    async def relogin(self) -> None:
        await self.login()

    async def run(self, mix: dict[str, int], *, counting_from: float, until: float) -> None:
        operations: dict[str, Callable[[], Awaitable[None]]] = {
            "list": self.list_files,
            "download": self.download,
            "upload": self.upload,
            "share": self.share,
            "relogin": self.relogin,
        }
        names, weights = list(mix), list(mix.values())
        while (started := time.perf_counter()) < until:
            name = self.random.choices(names, weights)[0]
            try:
                await operations[name]()
            except Closed as error:
                self.results.connection_errors += 1
                self.results.broken[name].append(str(error))
                continue
            if started >= counting_from:
                self.results.latencies[name].append(time.perf_counter() - started)
        self.connection.close()


def time_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def probe_health(port: int, delay: float, seconds: float, out: Connection) -> None:
    """GET /api/health every HEALTH_INTERVAL on one keep-alive connection, from a process of
    its own (the clients' busy event loop would add its own delays); sends the latencies."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    time.sleep(delay)
    samples: list[float] = []
    errors = 0
    until = time.perf_counter() + seconds
    while (started := time.perf_counter()) < until:
        try:
            connection.request("GET", "/api/health")
            connection.getresponse().read()
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
            continue
        samples.append(time.perf_counter() - started)
        time.sleep(HEALTH_INTERVAL)
    out.send((samples, errors))


async def crowd(
    target: Target, staff: list[Staff], mix: dict[str, int], *, pid: int | None = None
) -> Results:
    """The mix for WARM_UP + SECONDS; the RSS of `pid` after the warm-up and at the end."""
    results = Results()
    clients = [Client(i, person, target, results) for i, person in enumerate(staff)]
    await asyncio.gather(*(client.login() for client in clients))
    for client in clients:
        # The first logged in waited for the last (argon2) longer than the server keeps an
        # idle connection (5 s): start the mix on fresh connections.
        client.connection.close()
    results.statuses.clear()
    start = time.perf_counter()
    counting_from, until = start + WARM_UP, start + WARM_UP + SECONDS
    receiver, sender = multiprocessing.Pipe(duplex=False)
    prober = multiprocessing.Process(
        target=probe_health, args=(target.port, WARM_UP, SECONDS, sender), daemon=True
    )
    prober.start()

    cpu_from = 0.0

    async def sample_rss() -> None:
        nonlocal cpu_from
        await asyncio.sleep(WARM_UP)
        if pid is not None:
            results.rss_mib.append(rss_mib(pid))
            cpu_from = cpu_seconds(pid)

    await asyncio.gather(
        sample_rss(),
        *(client.run(mix, counting_from=counting_from, until=until) for client in clients),
    )
    results.seconds = time.perf_counter() - counting_from
    if pid is not None:
        results.rss_mib.append(rss_mib(pid))
        results.cpu_seconds = cpu_seconds(pid) - cpu_from
    results.health, errors = receiver.recv()
    results.connection_errors += errors
    prober.join()
    return results


# --- the bare Starlette reference ---------------------------------------------------------


def bare_app(fixture: Path) -> Any:
    """The same answers from memory: listings, file bytes, share and login JSON."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    answers = json.loads((fixture / "answers.json").read_text())
    contents = {path.name: path.read_bytes() for path in (fixture / "files").iterdir()}
    session = {"set-cookie": "vault03_session=bare; Path=/; HttpOnly; SameSite=strict"}

    def canned(name: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(answers[name], status, headers, media_type="application/json")

    async def listing(request: Request) -> Response:
        return canned("listing")

    async def download(request: Request) -> Response:
        data = contents[request.path_params["file_id"]]

        async def chunks() -> Any:
            for offset in range(0, len(data), MIB):
                yield data[offset : offset + MIB]

        return StreamingResponse(
            chunks(),
            media_type="application/octet-stream",
            headers={"Content-Length": str(len(data))},
        )

    async def upload(request: Request) -> Response:
        async for _ in request.stream():
            pass
        return canned("upload", 201)

    async def share(request: Request) -> Response:
        await request.body()
        return canned("share", 201)

    async def login(request: Request) -> Response:
        await request.body()
        return canned("login", 200, session)

    async def health(request: Request) -> Response:
        return canned("health")

    return Starlette(
        routes=[
            Route("/api/vaults/{vault_id}/files", listing, methods=["GET"]),
            Route("/api/files/{file_id}/content", download, methods=["GET"]),
            Route("/api/vaults/{vault_id}/files/{name}", upload, methods=["PUT"]),
            Route("/api/vaults/{vault_id}/shares", share, methods=["POST"]),
            Route("/api/auth/login", login, methods=["POST"]),
            Route("/api/auth/totp", login, methods=["POST"]),
            Route("/api/health", health, methods=["GET"]),
            Route(BARE_MARKER, health, methods=["GET"]),
        ]
    )


def serve_bare(port: int, fixture: Path) -> None:
    """The bare app on uvicorn as the API runs (vault03_api.main)."""
    import uvicorn

    from vault03_api.main import GIL_SWITCH_INTERVAL_SECONDS

    sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
    uvicorn.run(bare_app(fixture), host="127.0.0.1", port=port, log_config=None, proxy_headers=True)


# --- setting up the API -------------------------------------------------------------------


def create_staff(api: Api, count: int) -> list[Staff]:
    """`count` staff users with a password and TOTP, straight in the API's database."""
    from vault03_api import sealing
    from vault03_api.auth import totp
    from vault03_api.auth.models import User
    from vault03_api.auth.service import totp_purpose
    from vault03_api.db import create_db_engine, session_scope
    from vault03_api.keyring import KeyRing
    from vault03_api.passwords import make_hasher
    from vault03_api.settings import ApiSettings

    settings = ApiSettings(data_dir=api.work / "data", keys_dir=api.work / "keys")
    hashed = make_hasher(settings).hash(PASSWORD)
    ring = KeyRing.load(settings.keys_dir)
    engine = create_db_engine(settings.database_path)
    staff = []
    with session_scope(engine) as session:
        for index in range(count):
            user = User(
                email=f"staff{index}@example.org",
                name=f"Staff {index}",
                role="staff",
                password_hash=hashed,
            )
            session.add(user)
            session.flush()
            assert user.id is not None
            secret = totp.new_secret()
            user.totp_secret = sealing.seal(ring, secret.encode(), purpose=totp_purpose(user.id))
            user.two_factor_enabled = True
            staff.append(Staff(user.email, secret))
    engine.dispose()
    return staff


async def seed(api: Api, fixture: Path) -> Target:
    """A vault of SEED_FILES files to read, one to upload to; the bare app's answers."""
    read_vault, upload_vault = int(api.new_vault()), int(api.new_vault())
    connection = HttpConnection(api.port)
    auth = {"Authorization": f"Bearer {api.token}"}
    (fixture / "files").mkdir(parents=True)
    files, answers = [], {}
    rng = random.Random(1)
    for index in range(SEED_FILES):
        tag = f"seed-{index}"
        body = body_of(tag, rng.randint(MIB, 10 * MIB))
        status, _, content = await connection.request(
            "PUT", f"/api/vaults/{read_vault}/files/{tag}.bin", headers=auth, body=body
        )
        assert status == 201, content
        file_id = json.loads(content)["id"]
        files.append(file_id)
        (fixture / "files" / file_id).write_bytes(body)
        answers["upload"] = content.decode()
    for name, method, path in (
        ("listing", "GET", f"/api/vaults/{read_vault}/files"),
        ("health", "GET", "/api/health"),
    ):
        status, _, content = await connection.request(method, path, headers=auth)
        assert status == 200, content
        answers[name] = content.decode()
    share = json.dumps({}).encode()
    status, _, content = await connection.request(
        "POST",
        f"/api/vaults/{read_vault}/shares",
        headers={**auth, "Content-Type": "application/json"},
        body=share,
    )
    assert status == 201, content
    answers["share"] = content.decode()
    answers["login"] = json.dumps({"stage": "full", "csrf_token": "bare", "user": {}})
    connection.close()
    (fixture / "answers.json").write_text(json.dumps(answers))
    return Target(api.port, read_vault, upload_vault, files)


async def verify_uploads(api: Api, uploads: list[tuple[str, str, int]]) -> int:
    """How many acknowledged uploads read back different from what was sent (0 expected)."""
    connection = HttpConnection(api.port)
    auth = {"Authorization": f"Bearer {api.token}"}
    wrong = 0
    for file_id, tag, size in uploads:
        status, _, content = await connection.request(
            "GET", f"/api/files/{file_id}/content", headers=auth
        )
        if status != 200 or content != body_of(tag, size):
            wrong += 1
    connection.close()
    return wrong


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise KeyError("VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` so far: a per-request cost that the machine's load
    moves far less than latencies or rates."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cuts(samples: list[float]) -> str:
    if len(samples) < 2:
        return "n/a"
    quantiles = statistics.quantiles(samples, n=100)
    return f"{quantiles[49] * 1000:.0f} / {quantiles[98] * 1000:.0f} ms"


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) > 1 else float("nan")


def cpu_per_operation(results: Results) -> float:
    """Milliseconds of the server's CPU time per operation counted."""
    return results.cpu_seconds / max(results.operations, 1) * 1000


def report(name: str, results: Results) -> None:
    rate = results.operations / results.seconds
    print(f"{name}: {rate:.1f} requests/s ({results.operations} in {results.seconds:.1f}s)")
    for operation, samples in sorted(results.latencies.items()):
        print(f"  {operation:9} p50 / p99 {cuts(samples)} ({len(samples)})")
    print(
        f"  5xx {results.server_errors}, connection errors {results.connection_errors}, "
        f"health p99 {p99(results.health) * 1000:.1f} ms ({len(results.health)} probes)"
    )
    others = {status: n for status, n in sorted(results.statuses.items()) if status >= 300}
    if others:
        print(f"  answers other than 2xx: {others}")
    for operation, errors in sorted(results.broken.items()):
        print(f"  broken during {operation}: {len(errors)}, first: {errors[0]}")


async def bench(args: argparse.Namespace) -> None:
    mix = READ_MIX if args.reads_only else FULL_MIX
    (Path.cwd() / "var").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="vault03-bench-crowd-", dir=Path.cwd() / "var"))
    api = Api(work)
    api.env.update(
        {
            "VAULT03_API_SESSION_COOKIE_SECURE": "false",
            "VAULT03_API_MAX_FILE_BYTES": str(64 * MIB),
            # Every client comes from 127.0.0.1, as an office's staff come from its one
            # address: logins in flight count towards the address's budget (auth/throttle),
            # and 50 at once would exceed the default of 20.
            "VAULT03_API_LOGIN_IP_MAX_FAILURES": "1000",
        }
    )
    bare_port = free_port()
    bare: subprocess.Popen[bytes] | None = None
    try:
        api.start()
        staff = create_staff(api, args.clients)
        target = await seed(api, work / "fixture")
        bare = subprocess.Popen(  # noqa: ASYNC220  (setting up, before any measurement)
            [sys.executable, __file__, "--serve-bare", str(bare_port), str(work / "fixture")]
        )
        wait_http(f"http://127.0.0.1:{bare_port}/api/health")
        # The port was free when picked; make sure the bare app, not another server, has it.
        marker = await HttpConnection(bare_port).request("GET", BARE_MARKER)
        if marker[0] != 200 or bare.poll() is not None:
            raise SystemExit(f"port {bare_port} is not the bare app's: run again")
        rss_before = rss_mib(api.pid)
        on_api = await crowd(target, staff, mix, pid=api.pid)
        on_bare = await crowd(
            Target(bare_port, target.read_vault, target.upload_vault, target.files),
            staff,
            mix,
            pid=bare.pid,
        )
        wrong = await verify_uploads(api, on_api.uploads)
    finally:
        if bare is not None:
            bare.terminate()
            bare.wait(timeout=30)
        api.stop()
        shutil.rmtree(work, ignore_errors=True)
    mode = "read-only mix" if args.reads_only else "full mix"
    print(f"{args.clients} clients, {mode} {mix}, {SECONDS:g}s after {WARM_UP:g}s of warm-up")
    report("API", on_api)
    report("bare Starlette", on_bare)
    reads = [s for name in READS for s in on_api.latencies.get(name, [])]
    every = [s for samples in on_api.latencies.values() for s in samples]
    print(
        f"API p99: reads {p99(reads) * 1000:.0f} ms (target < 1000), "
        f"all {p99(every) * 1000:.0f} ms (target < 2000); "
        f"health p99 {p99(on_api.health) * 1000:.1f} ms (target < 100)"
    )
    warm, end = on_api.rss_mib
    print(
        f"API RSS: {rss_before:.0f} MiB before, {warm:.0f} MiB after the warm-up, "
        f"{end:.0f} MiB at the end (target: flat after the warm-up)"
    )
    print(
        f"API CPU: {cpu_per_operation(on_api):.2f} ms per operation "
        f"({on_api.cpu_seconds:.1f} s for {on_api.operations}); bare app "
        f"{cpu_per_operation(on_bare):.2f} ms; load average "
        f"{' '.join(f'{value:.1f}' for value in os.getloadavg())}"
    )
    print(f"uploads acknowledged {len(on_api.uploads)}, read back different: {wrong}")
    ratio = (on_api.operations / on_api.seconds) / (on_bare.operations / on_bare.seconds)
    if not args.reads_only:
        print(
            "(the ratio's target is the read-only mix's: here logins and shares wait for "
            "argon2, which the bare app does not run)"
        )
    print(f"ratio={ratio:.2f} target={TARGET}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--reads-only", action="store_true")
    parser.add_argument(
        "--serve-bare", nargs=2, metavar=("PORT", "FIXTURE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(int(args.serve_bare[0]), Path(args.serve_bare[1]))
        return
    import uvloop

    uvloop.run(bench(args))


if __name__ == "__main__":
    main()
