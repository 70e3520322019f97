"""Only the issue half of ``make bench``: issuing at 16 connections against pgbench's gapless counter.

Starts ``billfold serve`` (two workers) on a fresh PostgreSQL database, makes ``--invoices`` one-line
invoices of as many customers (a month-end run) and as many of one customer, issues each set with wrk
(``bench/wrk/issue.lua``, 16 connections), stops the server and runs ``bench/pgbench/counter.sql`` (16
clients) against the same database. Prints each rate, its ratio to the counter's and the load average.
Uses the helpers of ``bench/run.py``.

    .venv/bin/python bench/issue_wrk.py --invoices 400
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import uuid
from pathlib import Path
from typing import Any

import httpx

_SPEC = importlib.util.spec_from_file_location("bench_run", Path(__file__).with_name("run.py"))
assert _SPEC is not None
assert _SPEC.loader is not None
run = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(run)


async def prepare(key: str, port: int, invoices: int) -> dict[str, list[str]]:
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        headers={"X-API-KEY": key},
        timeout=120,
        limits=httpx.Limits(max_connections=8),
    ) as client:

        async def post(url: str, body: dict[str, Any]) -> str:
            response = await client.post(url, json=body)
            assert response.status_code == 201, response.text
            made: str = response.json()["id"]
            return made

        line = {"name": "Item", "quantity": "3", "unitPrice": "12.345"}
        one = await post("/v1/customers", {"name": "Bench"})

        async def month_end(index: int) -> str:
            customer = await post("/v1/customers", {"name": f"Customer {index}"})
            return await post("/v1/invoices", {"customerId": customer, "lineItems": [line]})

        many = await asyncio.gather(*(month_end(i) for i in range(invoices)))
        single = await asyncio.gather(
            *(post("/v1/invoices", {"customerId": one, "lineItems": [line]}) for _ in range(invoices))
        )
    return {"many": list(many), "single": list(single)}


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--invoices", type=int, default=400)
    parser.add_argument("--seconds", type=int, default=10, help="pgbench's run")
    args = parser.parse_args()
    database = f"billfold_issue_{uuid.uuid4().hex[:8]}"
    asyncio.run(run.admin(f'CREATE DATABASE "{database}"'))
    port = run.free_port()
    process = None
    results: dict[str, Any] = {}
    try:
        process, key = run.start_server(database, port, 2)
        made = asyncio.run(prepare(key, port, args.invoices))
        for name in ("many", "single"):
            env = {"BILLFOLD_BENCH_KEY": key, "BILLFOLD_BENCH_IDS": run.ids_file(made[name])}
            results[name] = run.wrk("issue.lua", port, 16, 600, env)
        process.terminate()
        process.wait(timeout=30)
        process = None
        asyncio.run(run.admin((run.ROOT / "bench/pgbench/schema.sql").read_text(), database))
        counter = run.pgbench(database, run.ROOT / "bench/pgbench/counter.sql", 16, args.seconds)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        asyncio.run(run.admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    for name, label in (("many", "many customers (month-end)"), ("single", "one customer")):
        figures = results[name]
        rate = figures["issued"] / figures["seconds"]
        print(
            f"issue, {label}: {figures['issued']} issued, {figures['refused']} refused, {rate:.0f}/s, "
            f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, load {figures['load']}; "
            f"ratio to counter.sql {rate / counter['tps']:.2f}"
        )
    print(f"counter.sql, 16 clients: {counter['tps']:.0f} tps, load {counter['load']}")


if __name__ == "__main__":
    main()
