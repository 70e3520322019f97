"""API benchmark: ``make bench`` (or ``uv run python bench/run.py``).

Starts ``billfold serve`` (two workers) on a fresh PostgreSQL database and measures, from a separate
client process on the same machine:

1. adding line items with 16 concurrent clients (each on its own draft invoice): requests/s, p50, p99;
2. the latency of adding one line to an invoice that already has 10 lines vs 10,000 lines
   (target: the 10,000-line add costs at most 1.5x the 10-line add);
3. GET of a 1,000-line invoice (target: p50 under 50 ms);
4. issuing invoices and recording payments with 16 concurrent clients: invoices/s and payments/s;
5. pgbench's single-connection commit rate on the same server in the same run, for scale.

Prints a Markdown table; ``--record`` appends it to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BILLFOLD_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def start_server(database: str, port: int, workers: int) -> tuple[subprocess.Popen[str], str]:
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    env = {**os.environ, "BILLFOLD_DATABASE_URL": f"{base}/{database}"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "billfold.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    key = ""
    while not key.startswith("bf_"):
        line = process.stdout.readline()
        if not line:
            raise SystemExit("server exited before printing its key")
        key = line.strip()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, key
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


async def new_invoice(client: httpx.AsyncClient, customer_id: str) -> str:
    response = await client.post("/v1/invoices", json={"customerId": customer_id})
    response.raise_for_status()
    invoice_id: str = response.json()["id"]
    return invoice_id


TAX_CATEGORY: dict[str, str] = {}


async def add_line(client: httpx.AsyncClient, invoice_id: str, index: int) -> float:
    body = {
        "name": f"Item {index % 50}",
        "quantity": str(index % 7 + 1),
        "unitPrice": "12.345",
        **TAX_CATEGORY,
    }
    started = time.perf_counter()
    response = await client.post(f"/v1/invoices/{invoice_id}/line-items", json=body)
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise SystemExit(f"add failed: {response.status_code} {response.text}")
    return elapsed


async def fill(client: httpx.AsyncClient, invoice_id: str, count: int, concurrency: int = 16) -> None:
    queue = iter(range(count))

    async def worker() -> None:
        for index in queue:
            await add_line(client, invoice_id, index)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def concurrent_adds(
    client: httpx.AsyncClient, customer_id: str, clients: int, per_client: int
) -> dict[str, float]:
    invoices = [await new_invoice(client, customer_id) for _ in range(clients)]
    latencies: list[float] = []

    async def worker(invoice_id: str) -> None:
        for index in range(per_client):
            latencies.append(await add_line(client, invoice_id, index))

    started = time.perf_counter()
    await asyncio.gather(*(worker(invoice_id) for invoice_id in invoices))
    elapsed = time.perf_counter() - started
    return {
        "requests": float(len(latencies)),
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


async def throughput(
    client: httpx.AsyncClient, urls: list[tuple[str, dict[str, str]]], clients: int, expect: int
) -> dict[str, float]:
    """POST each (url, body) once, ``clients`` at a time: requests/s and latency percentiles."""
    queue = iter(urls)
    latencies: list[float] = []

    async def worker() -> None:
        for url, body in queue:
            started = time.perf_counter()
            response = await client.post(url, json=body)
            latencies.append(time.perf_counter() - started)
            if response.status_code != expect:
                raise SystemExit(f"{url} failed: {response.status_code} {response.text}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


async def issue_and_pay(
    client: httpx.AsyncClient, customer_id: str, clients: int, count: int
) -> dict[str, float]:
    """Issue ``count`` one-line invoices, then pay each in full, ``clients`` requests at a time."""
    invoices = []
    for index in range(count):
        invoice_id = await new_invoice(client, customer_id)
        await add_line(client, invoice_id, index)
        invoices.append(invoice_id)
    issued = await throughput(client, [(f"/v1/invoices/{i}/issue", {}) for i in invoices], clients, 200)
    totals = []
    for invoice_id in invoices:
        totals.append((await client.get(f"/v1/invoices/{invoice_id}")).json()["amountRemaining"])
    payments = [
        (f"/v1/invoices/{i}/payments", {"amount": total}) for i, total in zip(invoices, totals, strict=True)
    ]
    paid = await throughput(client, payments, clients, 201)
    return {
        "issue_rps": issued["rps"],
        "issue_p50_ms": issued["p50_ms"],
        "issue_p99_ms": issued["p99_ms"],
        "pay_rps": paid["rps"],
        "pay_p50_ms": paid["p50_ms"],
        "pay_p99_ms": paid["p99_ms"],
    }


async def sequential_adds(client: httpx.AsyncClient, invoice_id: str, count: int) -> list[float]:
    return [await add_line(client, invoice_id, index) for index in range(count)]


async def gets(client: httpx.AsyncClient, invoice_id: str, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        response = await client.get(f"/v1/invoices/{invoice_id}")
        latencies.append(time.perf_counter() - started)
        response.raise_for_status()
    return latencies


def pgbench(database: str, seconds: int) -> float:
    """Single-connection TPC-B-like write transactions per second (pgbench -N, one client)."""
    host_args = ["-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(["pgbench", *host_args, "-i", "-q", database], check=True, capture_output=True)
    result = subprocess.run(
        ["pgbench", *host_args, "-N", "-c", "1", "-T", str(seconds), database],
        check=True,
        capture_output=True,
        text=True,
    )
    for line in result.stdout.splitlines():
        if line.startswith("tps"):
            return float(line.split("=")[1].split()[0])
    raise SystemExit(f"could not read pgbench output:\n{result.stdout}")


async def measure(args: argparse.Namespace, key: str, port: int) -> dict[str, float]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"X-API-KEY": key}, timeout=120, limits=limits
    ) as client:
        customer = (await client.post("/v1/customers", json={"name": "Bench"})).json()["id"]
        if args.taxed:  # every line taxed at 20 % (EN 16931, rounded per rate)
            category = {"name": "VAT", "rates": [{"rate": "20"}]}
            TAX_CATEGORY["taxCategoryId"] = (await client.post("/v1/tax-categories", json=category)).json()[
                "id"
            ]
        await concurrent_adds(client, customer, args.clients, 20)  # warm-up
        results = await concurrent_adds(client, customer, args.clients, args.per_client)

        small = await new_invoice(client, customer)
        await fill(client, small, 10)
        large = await new_invoice(client, customer)
        await fill(client, large, args.large_lines)
        medium = await new_invoice(client, customer)
        await fill(client, medium, 1000)

        small_adds, large_adds = [], []
        for _ in range(args.samples // 20):  # interleave so drift in the machine hits both alike
            small_adds += await sequential_adds(client, small, 20)
            large_adds += await sequential_adds(client, large, 20)
        get_latencies = await gets(client, medium, args.samples)
        results.update(await issue_and_pay(client, customer, args.clients, args.invoices))
    results.update(
        add_10_p50_ms=statistics.median(small_adds) * 1000,
        add_10k_p50_ms=statistics.median(large_adds) * 1000,
        add_ratio=statistics.median(large_adds) / statistics.median(small_adds),
        get_1000_p50_ms=statistics.median(get_latencies) * 1000,
        get_1000_p99_ms=percentile(get_latencies, 0.99) * 1000,
    )
    return results


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def report(results: dict[str, float], tps: float, args: argparse.Namespace) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        f"### Line item API on PostgreSQL{', every line taxed at 20 %' if args.taxed else ''} — {when}",
        "",
        f"Machine: {machine()}. Server: `billfold serve`, {args.workers} workers; client: one asyncio "
        "process (httpx) on the same machine.",
        "",
        "| measure | result | target |",
        "| --- | --- | --- |",
        f"| add line item, {args.clients} concurrent clients ({int(results['requests'])} requests) "
        f"| {results['rps']:.0f} req/s, p50 {results['p50_ms']:.1f} ms, p99 {results['p99_ms']:.1f} ms | |",
        f"| add to a 10-line invoice, p50 | {results['add_10_p50_ms']:.2f} ms | |",
        f"| add to a {args.large_lines:,}-line invoice, p50 | {results['add_10k_p50_ms']:.2f} ms | |",
        f"| ratio large / small | {results['add_ratio']:.2f}x | at most 1.5x |",
        f"| GET a 1,000-line invoice | p50 {results['get_1000_p50_ms']:.1f} ms, "
        f"p99 {results['get_1000_p99_ms']:.1f} ms | p50 under 50 ms |",
        f"| issue invoices, {args.clients} concurrent clients ({args.invoices} invoices) "
        f"| {results['issue_rps']:.0f} invoices/s, p50 {results['issue_p50_ms']:.1f} ms, "
        f"p99 {results['issue_p99_ms']:.1f} ms | |",
        f"| record payments, {args.clients} concurrent clients ({args.invoices} payments) "
        f"| {results['pay_rps']:.0f} payments/s, p50 {results['pay_p50_ms']:.1f} ms, "
        f"p99 {results['pay_p99_ms']:.1f} ms | |",
        f"| pgbench -N, 1 connection (same run) | {tps:.0f} tps | |",
        f"| line adds / pgbench tps | {results['rps'] / tps:.2f} | |",
        f"| issues / pgbench tps | {results['issue_rps'] / tps:.2f} | |",
        f"| payments / pgbench tps | {results['pay_rps'] / tps:.2f} | |",
    ]
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=150)
    parser.add_argument("--large-lines", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--invoices", type=int, default=500, help="invoices issued and paid")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--taxed", action="store_true", help="every line taxed (a 20 % tax category)")
    parser.add_argument("--record", action="store_true", help="append the table to docs/benchmarks.md")
    args = parser.parse_args()

    database = f"billfold_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{database}"'))
    port = free_port()
    process = None
    try:
        process, key = start_server(database, port, args.workers)
        results = asyncio.run(measure(args, key, port))
        process.terminate()
        process.wait(timeout=30)
        process = None
        tps = pgbench(database, args.pgbench_seconds)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    table = report(results, tps, args)
    print(table)
    if args.record:
        with (ROOT / "docs" / "benchmarks.md").open("a") as handle:
            handle.write("\n" + table)


if __name__ == "__main__":
    main()
