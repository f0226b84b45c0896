"""Benchmark: the console's list and search pages with an office of 1,000 customers and
10,000 files, against the real API process (with NATS).

The office is made through the API, as staff would make it: customers (each with a vault),
files uploaded into them (half into one customer's vault, the rest five to a vault), shares
of the large vault. Each page the console asks for (customers by page and by search, a
customer's vaults, a vault's files by page and by search, a vault's shares, the activity
view, a customer's activity and timeline) is timed, one request after another on a
keep-alive connection: p50 and p99 in ms.

References measured in the same run:
  - the same pages while the office is small (10 customers, 100 files): a page must cost
    about the same whatever the office's size (server-side paging and search);
  - the same page as a bare SQLite query on the API's own database file (read-only), to
    show what the HTTP, JSON and Python layers add.

Targets: for every page, p50 at full size <= 2 x p50 while small (ratio), and p99 < 250 ms.
The last line is `ratio=<largest full/small p50> target=2.0`.

Run: `.venv/bin/python bench/console_lists.py [--customers 1000] [--files 10000]
[--requests 200]`. Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from files import Api  # bench/files.py: the API process with NATS, an admin's token

TARGET = 2.0
P99_BUDGET_MS = 250.0
SMALL = (10, 100)
SHARES = 30
CONCURRENT = 8  # uploads in flight while seeding


@dataclass
class Office:
    """What the seeding made: ids the pages are asked for."""

    customers: list[int]
    vaults: dict[int, int]  # customer id -> its vault
    large_customer: int = 0
    large_vault: int = 0
    files: int = 0


async def seed(api: Api, office: Office, *, customers: int, files: int) -> None:
    """Grow the office to `customers` customers and `files` files through the API."""
    headers = {"Authorization": f"Bearer {api.token}"}
    limits = httpx.Limits(max_connections=CONCURRENT)
    async with httpx.AsyncClient(base_url=api.url, headers=headers, limits=limits) as client:
        gate = asyncio.Semaphore(CONCURRENT)

        async def checked(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
            async with gate:
                response = await client.request(method, path, timeout=120, **kwargs)
            if response.status_code >= 300:
                raise SystemExit(f"{method} {path}: {response.status_code} {response.text}")
            body: dict[str, Any] = response.json()
            return body

        async def customer(index: int) -> None:
            made = await checked(
                "POST",
                "/api/customers",
                json={
                    "name": f"{FIRST[index % 10]} {LAST[index // 10 % 10]} {index}",
                    "email": f"customer{index}@example.org",
                    "preferred_channel": "email",
                },
            )
            vault = await checked(
                "POST", f"/api/customers/{made['id']}/vaults", json={"name": f"Documents {index}"}
            )
            office.customers.append(made["id"])
            office.vaults[made["id"]] = vault["id"]

        await asyncio.gather(*(customer(i) for i in range(len(office.customers), customers)))
        if not office.large_customer:
            office.large_customer = office.customers[0]
            office.large_vault = office.vaults[office.large_customer]
        small_vaults = [office.vaults[c] for c in office.customers if c != office.large_customer]

        async def upload(index: int) -> None:
            # Half in the large vault, the rest five to a vault.
            vault = (
                office.large_vault
                if index % 2 == 0
                else small_vaults[index // 10 % len(small_vaults)]
            )
            await checked(
                "PUT",
                f"/api/vaults/{vault}/files/{NOUNS[index % len(NOUNS)]}-{index}.pdf",
                content=b"%PDF-1.7 bench",
            )

        await asyncio.gather(*(upload(i) for i in range(office.files, files)))
        office.files = files
        made_shares = len((await client.get(f"/api/vaults/{office.large_vault}/shares")).json())
        for _ in range(made_shares, SHARES):
            await checked("POST", f"/api/vaults/{office.large_vault}/shares", json={})


FIRST = ["Sophie", "Marc", "Ana", "Jonas", "Lea", "Tom", "Ines", "Paul", "Mia", "Luc"]
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Lima",
    "Keller",
    "Rossi",
    "Weber",
    "Moreau",
    "Roux",
    "Blanc",
]
NOUNS = ["tax-return", "invoice", "payslip", "contract", "statement", "deed", "receipt"]


@dataclass
class Page:
    """One page the console asks for, and the bare SQL query of the same page."""

    name: str
    path: str
    sql: str
    parameters: tuple[Any, ...] = ()


def pages(office: Office) -> list[Page]:
    large, vault = office.large_customer, office.large_vault
    last_customers = max(0, len(office.customers) - 25)
    last_files = max(0, office.files // 2 - 50)
    live_files = "FROM files WHERE vault_id = ? AND deleted_at IS NULL"
    return [
        Page(
            "customers, first page",
            "/api/customers?limit=25",
            "SELECT * FROM customers WHERE deleted_at IS NULL ORDER BY lower(name), id LIMIT 25",
        ),
        Page(
            "customers, last page",
            f"/api/customers?limit=25&offset={last_customers}",
            "SELECT * FROM customers WHERE deleted_at IS NULL ORDER BY lower(name), id "
            "LIMIT 25 OFFSET ?",
            (last_customers,),
        ),
        Page(
            "customers, search",
            "/api/customers?limit=25&q=martin",
            "SELECT * FROM customers WHERE deleted_at IS NULL AND (lower(name) LIKE ? OR "
            "lower(email) LIKE ?) ORDER BY lower(name), id LIMIT 25",
            ("%martin%", "%martin%"),
        ),
        Page(
            "a customer's vaults",
            f"/api/customers/{large}/vaults?limit=26",
            "SELECT * FROM vaults WHERE customer_id = ? AND deleted_at IS NULL "
            "ORDER BY name, id LIMIT 26",
            (large,),
        ),
        Page(
            "files, first page",
            f"/api/vaults/{vault}/files?limit=51",
            f"SELECT * {live_files} ORDER BY name, created_at LIMIT 51",
            (vault,),
        ),
        Page(
            "files, last page",
            f"/api/vaults/{vault}/files?limit=51&offset={last_files}",
            f"SELECT * {live_files} ORDER BY name, created_at LIMIT 51 OFFSET ?",
            (vault, last_files),
        ),
        Page(
            "files, search",
            f"/api/vaults/{vault}/files?limit=51&q=invoice-1",
            f"SELECT * {live_files} AND lower(name) LIKE ? ORDER BY name, created_at LIMIT 51",
            (vault, "%invoice-1%"),
        ),
        Page(
            "a vault's shares",
            f"/api/vaults/{vault}/shares?limit=26",
            "SELECT * FROM shares WHERE vault_id = ? ORDER BY id DESC LIMIT 26",
            (vault,),
        ),
        Page(
            "activity",
            "/api/audit?limit=50&summary=true",
            "SELECT * FROM audit_logs ORDER BY id DESC LIMIT 50",
        ),
        Page(
            "a customer's activity",
            f"/api/audit?limit=50&summary=true&customer_id={large}",
            *customer_audit_sql(large),
        ),
        Page(
            "a customer's timeline",
            f"/api/customers/{large}/timeline?limit=50",
            *customer_audit_sql(large),
        ),
    ]


def customer_audit_sql(customer_id: int) -> tuple[str, tuple[Any, ...]]:
    """The API's own statement for a customer's audit entries, as plain SQL."""
    from sqlalchemy.dialects import sqlite
    from sqlmodel import col

    from vault03_api.audit.models import AuditLog
    from vault03_api.auditlog.schemas import AuditFilter
    from vault03_api.auditlog.service import _filtered

    statement = _filtered(AuditFilter(customer_id=customer_id, summary=True))
    statement = statement.order_by(col(AuditLog.id).desc()).limit(50)
    compiled = statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    return str(compiled), ()


def timed(call: Callable[[], object], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


def measure(api: Api, office: Office, count: int) -> dict[str, tuple[float, float, float]]:
    """{page: (API p50, API p99, bare SQL p50)} in ms."""
    import pysqlite3.dbapi2 as sqlite3

    database = api.work / "data" / "data.db"
    bare = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    headers = {"Authorization": f"Bearer {api.token}"}
    figures = {}
    with httpx.Client(base_url=api.url, headers=headers, timeout=60) as client:
        for page in pages(office):

            def get(page: Page = page) -> None:
                response = client.get(page.path)
                if response.status_code != 200:
                    raise SystemExit(f"{page.path}: {response.status_code} {response.text}")

            def query(page: Page = page) -> None:
                bare.execute(page.sql, page.parameters).fetchall()

            timed(get, 5)  # warm
            api_samples = timed(get, count)
            sql_samples = timed(query, count)
            figures[page.name] = (
                statistics.median(api_samples),
                p99(api_samples),
                statistics.median(sql_samples),
            )
    bare.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    (Path.cwd() / "var").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="vault03-bench-lists-", dir=Path.cwd() / "var"))
    api = Api(work)
    api.start()
    try:
        office = Office(customers=[], vaults={})
        asyncio.run(seed(api, office, customers=SMALL[0], files=SMALL[1]))
        small = measure(api, office, args.requests)
        started = time.monotonic()
        asyncio.run(seed(api, office, customers=args.customers, files=args.files))
        print(
            f"seeded {len(office.customers)} customers, {office.files} files "
            f"({office.files // 2} in one vault), {SHARES} shares in "
            f"{time.monotonic() - started:.0f} s"
        )
        full = measure(api, office, args.requests)
    finally:
        api.stop()

    print(
        f"{'page':<24} {'small p50':>10} {'full p50':>9} {'full p99':>9} {'bare SQL p50':>13}  ms"
    )
    ratios = []
    over_budget = []
    for name, (p50, slow, sql) in full.items():
        ratios.append(p50 / small[name][0])
        if slow >= P99_BUDGET_MS:
            over_budget.append(name)
        print(f"{name:<24} {small[name][0]:>10.1f} {p50:>9.1f} {slow:>9.1f} {sql:>13.2f}")
    print(
        f"p99 under {P99_BUDGET_MS:.0f} ms: "
        + ("every page" if not over_budget else "not " + ", ".join(over_budget))
    )
    print(f"ratio={max(ratios):.2f} target={TARGET}")


if __name__ == "__main__":
    main()
