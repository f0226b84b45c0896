"""Benchmark: a 1 GiB file uploaded to and downloaded from the running API.

References measured in the same run on the same machine:
  - `dd if=/dev/zero bs=1M conv=fsync`: raw sequential write of the same size, synced;
  - a bare uvicorn endpoint (same server, loop and parser as the API) that discards an
    uploaded body, and one that streams the same plaintext file back.
The client is curl for every transfer, so the client's cost is the same on both sides.

Figures: MB/s (10^6 bytes per second, medians of --runs runs), the ratios
upload / min(dd, bare upload) and download / bare download, and the API's peak RSS growth
during a transfer (VmHWM after resetting it, minus VmRSS before). Targets: each ratio >= 0.7,
RSS growth < 64 MiB. The last line is `ratio=<smaller ratio> target=0.7`.

Run: `.venv/bin/python bench/files.py [--size-mib 1024] [--runs 3]`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MIB = 1 << 20
TARGET = 0.7
RSS_LIMIT_MIB = 64


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.stdout.strip() not in ("", "000"):
            return
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout}s")


# --- the bare uvicorn reference -----------------------------------------------------------


def bare_app(plaintext: Path) -> Callable[..., Any]:
    """An ASGI app: PUT discards the body, GET streams `plaintext` in 1 MiB reads."""

    size = plaintext.stat().st_size

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["method"] == "PUT":
            received = 0
            while True:
                message = await receive()
                received += len(message.get("body", b""))
                if not message.get("more_body"):
                    break
            body = str(received).encode()
            headers = [(b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        headers = [(b"content-length", str(size).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        with plaintext.open("rb") as handle:
            while block := handle.read(MIB):
                await send({"type": "http.response.body", "body": block, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return app


def serve_bare(port: int, plaintext: Path) -> None:
    import uvicorn

    uvicorn.run(bare_app(plaintext), host="127.0.0.1", port=port, log_level="warning")


# --- measuring -----------------------------------------------------------------------------


def curl_upload(url: str, source: Path, headers: list[str]) -> tuple[float, str]:
    """Seconds for a PUT of `source` with curl, and the response body."""
    args = ["curl", "-sS", "--fail-with-body", "-X", "PUT", "-T", str(source)]
    args += [item for header in headers for item in ("-H", header)]
    done = subprocess.run(
        [*args, "-w", "\n%{time_total}", url], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"upload to {url} failed: {done.stdout} {done.stderr}")
    body, _, seconds = done.stdout.rpartition("\n")
    return float(seconds), body


def curl_download(url: str, headers: list[str], *, output: str = "/dev/null") -> float:
    args = ["curl", "-sS", "--fail", "-o", output, "-w", "%{time_total}"]
    args += [item for header in headers for item in ("-H", header)]
    done = subprocess.run([*args, url], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"download from {url} failed: {done.stderr}")
    return float(done.stdout)


def dd_write(target: Path, size_mib: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={size_mib}", "conv=fsync"],
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def release_page_cache(path: Path) -> None:
    """Drop a synced file's pages from the page cache."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


@contextmanager
def peak_rss_growth(pid: int, into: list[float]) -> Iterator[None]:
    """Append the peak RSS growth (MiB) of `pid` during the block: VmHWM is reset first."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    before = _status_kib(pid, "VmRSS")
    yield
    into.append((_status_kib(pid, "VmHWM") - before) / 1024)


def mb_per_s(size: int, seconds: float) -> float:
    return size / seconds / 1e6


# --- the API under test --------------------------------------------------------------------


class Api:
    """The real API process (python -m vault03_api) on a fresh data directory, with NATS."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.env = {
            **os.environ,
            "VAULT03_API_DATA_DIR": str(work / "data"),
            "VAULT03_API_KEYS_DIR": str(work / "keys"),
            "VAULT03_API_BACKUP_DIR": str(work / "backup"),
            "VAULT03_API_PORT": str(self.port),
            "VAULT03_API_LOG_LEVEL": "WARNING",
            "VAULT03_API_MAX_FILE_BYTES": str(64 << 30),
        }
        self.token = ""

    @property
    def pid(self) -> int:
        return self.processes[-1].pid

    def start(self) -> None:
        from vault03_api.devrun import nats_config, nats_server_binary

        nats_port = free_port()
        store = self.work / "nats"
        store.mkdir()
        config = store / "nats.conf"
        config.write_text(nats_config(store_dir=store, port=nats_port, monitor_port=free_port()))
        self.processes.append(
            subprocess.Popen(
                [str(nats_server_binary()), "-c", str(config)],
                cwd=self.work,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        self.env["VAULT03_NATS_URL"] = f"nats://127.0.0.1:{nats_port}"
        self.token = self.admin_token()
        self.processes.append(
            subprocess.Popen([sys.executable, "-m", "vault03_api"], env=self.env, cwd=self.work)
        )
        wait_http(f"{self.url}/api/health")

    def admin_token(self) -> str:
        """An admin and an API token for it, written before the API starts."""
        from vault03_api import clock
        from vault03_api.auth.service import create_api_token
        from vault03_api.db import create_db_engine, session_scope
        from vault03_api.migrations import upgrade_database
        from vault03_api.settings import ApiSettings
        from vault03_api.users.service import create_admin

        settings = ApiSettings(
            data_dir=self.work / "data",
            keys_dir=self.work / "keys",
            backup_dir=self.work / "backup",
        )
        engine = create_db_engine(settings.database_path)
        upgrade_database(engine, database=settings.database_path, backup_dir=settings.backup_dir)
        with session_scope(engine) as session:
            now = clock.utcnow()
            user = create_admin(
                session,
                email="bench@example.com",
                name="Bench",
                password_hash="-",  # noqa: S106  (no password: the bench uses a token)
                now=now,
            )
            session.flush()
            assert user.id is not None
            _, secret = create_api_token(session, user_id=user.id, name="bench", days=1, now=now)
        engine.dispose()
        return secret

    @property
    def headers(self) -> list[str]:
        return [f"Authorization: Bearer {self.token}"]

    def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        done = subprocess.run(
            ["curl", "-sS", "--fail-with-body", "-H", "Content-Type: application/json"]
            + [item for header in self.headers for item in ("-H", header)]
            + ["--data", json.dumps(body), f"{self.url}{path}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"POST {path} failed: {done.stdout} {done.stderr}")
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def new_vault(self) -> str:
        customer = self.post_json(
            "/api/customers",
            {
                "name": "Bench Customer",
                "email": "bench.customer@example.com",
                "preferred_channel": "email",
            },
        )
        vault = self.post_json(f"/api/customers/{customer['id']}/vaults", {"name": "bench"})
        return str(vault["id"])

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serve-bare", nargs=2, metavar=("PORT", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(int(args.serve_bare[0]), Path(args.serve_bare[1]))
        return
    for tool in ("curl", "dd"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed")

    size = args.size_mib * MIB
    (Path.cwd() / "var").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="vault03-bench-files-", dir=Path.cwd() / "var"))
    plaintext = work / "plain.bin"
    sha = hashlib.sha256()
    with plaintext.open("wb") as handle:
        for _ in range(args.size_mib):
            block = os.urandom(MIB)
            sha.update(block)
            handle.write(block)
    expected_sha = sha.hexdigest()

    bare_port = free_port()
    bare = subprocess.Popen(
        [sys.executable, __file__, "--serve-bare", str(bare_port), str(plaintext)]
    )
    api = Api(work)
    series: dict[str, list[float]] = {
        k: [] for k in ("dd", "bare_up", "bare_down", "api_up", "api_down")
    }
    rss: list[float] = []
    try:
        wait_http(f"http://127.0.0.1:{bare_port}/")
        api.start()
        vault_id = api.new_vault()
        file_id = ""
        for run in range(args.runs):
            series["dd"].append(dd_write(work / "dd.out", args.size_mib))
            seconds, _ = curl_upload(f"http://127.0.0.1:{bare_port}/", plaintext, [])
            series["bare_up"].append(seconds)
            with peak_rss_growth(api.pid, rss):
                seconds, body = curl_upload(
                    f"{api.url}/api/vaults/{vault_id}/files/bench-{run}.bin",
                    plaintext,
                    [*api.headers, "Content-Type: application/octet-stream"],
                )
            series["api_up"].append(seconds)
            stored = json.loads(body)
            if stored["size"] != size:
                raise SystemExit(f"the API stored something else: {stored}")
            if file_id:
                subprocess.run(
                    ["curl", "-sS", "--fail", "-X", "DELETE", "-o", "/dev/null"]
                    + [item for header in api.headers for item in ("-H", header)]
                    + [f"{api.url}/api/files/{file_id}"],
                    check=True,
                )
            file_id = stored["id"]
            series["bare_down"].append(curl_download(f"http://127.0.0.1:{bare_port}/", []))
            with peak_rss_growth(api.pid, rss):
                seconds = curl_download(f"{api.url}/api/files/{file_id}/content", api.headers)
            series["api_down"].append(seconds)
            # dd's file is unlinked once timed, and its page cache goes back to the kernel; the
            # API's blob stays on disk when deleted (until the purge). Hand its pages back too:
            # else each later upload writes into memory this virtual machine has not touched
            # yet, at ten times the kernel's CPU per byte (bench/README.md, files.py).
            release_page_cache(api.work / "data" / "files" / file_id[:2] / f"{file_id}.blob")
        # Once, outside the timing: the bytes that come back are the bytes that went in.
        check = work / "check.bin"
        curl_download(f"{api.url}/api/files/{file_id}/content", api.headers, output=str(check))
        digest = hashlib.sha256(check.read_bytes()).hexdigest()
        check.unlink()
        if digest != expected_sha:
            raise SystemExit("the downloaded file differs from the uploaded one")
    finally:
        api.stop()
        bare.terminate()
        bare.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    speed = {name: mb_per_s(size, statistics.median(values)) for name, values in series.items()}
    upload_ratio = speed["api_up"] / min(speed["dd"], speed["bare_up"])
    download_ratio = speed["api_down"] / speed["bare_down"]
    print(f"size: {args.size_mib} MiB, runs: {args.runs} (medians), MB = 10^6 bytes")
    print(f"reference dd conv=fsync write:   {speed['dd']:8.1f} MB/s")
    print(f"reference bare uvicorn upload:   {speed['bare_up']:8.1f} MB/s")
    print(f"reference bare uvicorn download: {speed['bare_down']:8.1f} MB/s")
    print(f"api upload (encrypt, fsync):     {speed['api_up']:8.1f} MB/s")
    print(f"api download (decrypt):          {speed['api_down']:8.1f} MB/s")
    print(f"upload ratio (vs smaller of dd and bare upload): {upload_ratio:.2f}")
    print(f"download ratio (vs bare download):               {download_ratio:.2f}")
    print(f"api peak RSS growth during a transfer: {max(rss):.1f} MiB (limit {RSS_LIMIT_MIB})")
    print(f"ratio={min(upload_ratio, download_ratio):.2f} target={TARGET}")


if __name__ == "__main__":
    main()
