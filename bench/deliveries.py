"""Deliveries per second, outbox row to `sent` in the database, through real NATS and the
email worker against a local fake Brevo; beside it the reference: a bare httpx client
posting the same requests to the same fake with the same concurrency. Then the latency from
insert to the provider request at a steady 100 deliveries/s.

Run: .venv/bin/python bench/deliveries.py  (last line: ratio=<measured> target=0.5)
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import col, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import NatsServer, free_port, port_open, wait_for
from tests.support.fakes import BREVO_KEY
from vault03_api.db import session_scope
from vault03_api.deliveries.models import Delivery
from vault03_api.deliveries.service import enqueue_delivery
from vault03_api.main import create_app
from vault03_api.settings import ApiSettings
from vault03_api.state import AppState
from vault03_common.events import DeliveryRequested
from vault03_common.messages import Outgoing, ShareLink
from vault03_email.brevo import BrevoEmailClient
from vault03_email.render import render_email
from vault03_email.settings import EmailSettings

THROUGHPUT_COUNT = int(os.environ.get("BENCH_COUNT", "2000"))
STEADY_RATE = 100.0
STEADY_SECONDS = 10.0
CONCURRENCY = EmailSettings().concurrency  # the email worker's defaults
CONNECTIONS = EmailSettings().provider_connections
TARGET_RATIO = 0.5
# A real provider answers in tens of milliseconds; the fake waits this long before answering.
FAKE_LATENCY = float(os.environ.get("BENCH_FAKE_LATENCY", "0.02"))


def outgoing(index: int) -> Outgoing:
    message = ShareLink(
        link=f"https://vault.example.org/s/{index:08d}",
        vault_name=f"Vault {index}",
        code_channel="sms",
    )
    return message.email(to=f"customer{index}@example.org", to_name=f"Customer {index}")


async def reference_rate(base_url: str, count: int) -> float:
    """Requests/s of a bare httpx client sending the worker's requests, same concurrency."""
    settings = EmailSettings(brevo_api_key=BREVO_KEY, brevo_base_url=base_url)
    builder = BrevoEmailClient(httpx.AsyncClient(), sandbox=False)
    bodies = [
        builder.request_body(
            render_email(
                DeliveryRequested(
                    delivery_id=f"ref-{i}", kind="share_link", payload=outgoing(i).payload
                ),
                settings,
            )
        )
        for i in range(count)
    ]
    await builder.aclose()
    queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"api-key": BREVO_KEY}, limits=limits, timeout=30
    ) as client:

        async def sender() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                response = await client.post("/smtp/email", json=body)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
        return count / (time.perf_counter() - started)


def insert(state: AppState, first: int, count: int) -> list[tuple[str, float]]:
    """Insert deliveries in one transaction (sealed, as links are); (id, commit time) of each."""
    ring = state.keyring
    with session_scope(state.engine) as session:
        ids = [
            enqueue_delivery(session, outgoing=outgoing(first + i), ring=ring).id
            for i in range(count)
        ]
    committed = time.time()
    return [(delivery_id, committed) for delivery_id in ids]


def relay_delays(engine: object, ids: set[str]) -> list[float]:
    """Seconds from the insert to the relay recording the PubAck, per delivery."""
    with session_scope(engine) as session:  # type: ignore[arg-type]
        rows = session.exec(select(Delivery).where(col(Delivery.id).in_(ids))).all()
        return [
            (row.published_at - row.created_at).total_seconds()
            for row in rows
            if row.published_at is not None
        ]


def sent_count(engine: object) -> int:
    with session_scope(engine) as session:  # type: ignore[arg-type]
        statement = select(func.count()).where(Delivery.status == "sent")
        return int(session.exec(statement).one())


async def wait_sent(engine: object, total: int, limit: float = 300.0) -> None:
    deadline = time.monotonic() + limit
    while await asyncio.to_thread(sent_count, engine) < total:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {sent_count(engine)} of {total} sent after {limit}s")
        await asyncio.sleep(0.02)


async def pipeline(work: Path, nats_url: str, brevo_url: str) -> tuple[float, list[float]]:
    settings = ApiSettings(
        data_dir=work / "data",
        keys_dir=work / "keys",
        backup_dir=work / "backup",
        nats_url=nats_url,
    )
    app = create_app(settings)
    env = {
        **os.environ,
        "VAULT03_NATS_URL": nats_url,
        "VAULT03_EMAIL_HTTP_PORT": str(free_port()),
        "VAULT03_EMAIL_BREVO_API_KEY": BREVO_KEY,
        "VAULT03_EMAIL_BREVO_BASE_URL": f"{brevo_url}/v3",
        "VAULT03_EMAIL_CONCURRENCY": str(CONCURRENCY),
    }
    worker = start(["-m", "vault03_email"], env=env, log=work / "email.log")
    try:
        async with app.router.lifespan_context(app):
            state: AppState = app.state.vault03
            engine = state.engine
            await asyncio.to_thread(insert, state, 0, 50)  # warm-up: connections, templates
            await wait_sent(engine, 50)
            started = time.perf_counter()
            for first in range(50, 50 + THROUGHPUT_COUNT, 500):
                await asyncio.to_thread(
                    insert, state, first, min(500, 50 + THROUGHPUT_COUNT - first)
                )
            await wait_sent(engine, 50 + THROUGHPUT_COUNT)
            rate = THROUGHPUT_COUNT / (time.perf_counter() - started)
            async with httpx.AsyncClient(base_url=brevo_url) as fake:
                await fake.post("/_fake/reset")
                inserted: dict[str, float] = {}
                total = int(STEADY_RATE * STEADY_SECONDS)
                begin = time.monotonic()
                for index in range(total):
                    await asyncio.sleep(max(0.0, begin + index / STEADY_RATE - time.monotonic()))
                    [(delivery_id, at)] = await asyncio.to_thread(insert, state, 100_000 + index, 1)
                    inserted[delivery_id] = at
                await wait_sent(engine, 50 + THROUGHPUT_COUNT + total)
                seen = (await fake.get("/_fake/requests")).json()["requests"]
                relay = sorted(await asyncio.to_thread(relay_delays, engine, set(inserted)))
                p50, p99 = (percentile(relay, q) * 1000 for q in (0.5, 0.99))
                print(
                    f"of which insert -> PubAck recorded (relay): p50={p50:.1f} ms p99={p99:.1f} ms"
                )
            latencies = sorted(
                request["at"] - inserted[request["body"]["headers"]["X-Mailin-custom"]]
                for request in seen
                if request["body"]["headers"]["X-Mailin-custom"] in inserted
            )
            return rate, latencies
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def start(args: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A Python subprocess of this checkout, its output in `log`."""
    with open(log, "wb") as output:
        return subprocess.Popen(
            [sys.executable, *args], env=env, cwd=ROOT, stdout=output, stderr=output
        )


def fsync_latencies(directory: Path, count: int = 200) -> list[float]:
    """Seconds per fsync of a 4 KiB append in `directory` (every commit here waits for one)."""
    probe = directory / "fsync-probe"
    samples = []
    with open(probe, "wb") as handle:
        for _ in range(count):
            handle.write(b"x" * 4096)
            handle.flush()
            started = time.perf_counter()
            os.fsync(handle.fileno())
            samples.append(time.perf_counter() - started)
    probe.unlink()
    return sorted(samples)


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(fraction * len(values)))]


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="vault03-bench-") as tmp:
        work = Path(tmp)
        fsyncs = fsync_latencies(work)
        nats = NatsServer(work / "nats")
        nats.start()
        port = free_port()
        fake = start(
            [
                "-m",
                "tests.support.fakes",
                "brevo",
                "--port",
                str(port),
                "--latency",
                str(FAKE_LATENCY),
            ],
            env=dict(os.environ),
            log=work / "fake.log",
        )
        try:
            wait_for(lambda: port_open(port), timeout=20, what="fake Brevo")
            brevo_url = f"http://127.0.0.1:{port}"
            reference = await reference_rate(f"{brevo_url}/v3", THROUGHPUT_COUNT)
            async with httpx.AsyncClient(base_url=brevo_url) as client:
                await client.post("/_fake/reset")
            measured, latencies = await pipeline(work, nats.url, brevo_url)
        finally:
            fake.terminate()
            fake.wait(timeout=30)
            nats.stop()
    ratio = measured / reference
    print(
        f"fake Brevo answer delay: {FAKE_LATENCY * 1000:.0f} ms; concurrency {CONCURRENCY}, "
        f"{CONNECTIONS} connections"
    )
    print(
        f"fsync on this disk (context: SQLite and JetStream wait for it at each commit): "
        f"p50={percentile(fsyncs, 0.5) * 1000:.2f} ms p99={percentile(fsyncs, 0.99) * 1000:.2f} ms"
    )
    print(f"reference (bare httpx, {THROUGHPUT_COUNT} requests): {reference:.0f} requests/s")
    print(
        f"measured (outbox -> NATS -> email worker -> Brevo -> sent in DB, "
        f"{THROUGHPUT_COUNT} deliveries): {measured:.0f} deliveries/s"
    )
    print(
        f"latency insert -> provider request at {STEADY_RATE:.0f}/s for {STEADY_SECONDS:.0f}s "
        f"({len(latencies)} deliveries): p50={percentile(latencies, 0.5) * 1000:.1f} ms "
        f"p99={percentile(latencies, 0.99) * 1000:.1f} ms "
        f"mean={statistics.fmean(latencies) * 1000:.1f} ms (target p99 < 500 ms)"
    )
    print(f"ratio={ratio:.2f} target={TARGET_RATIO}")


if __name__ == "__main__":
    asyncio.run(main())
