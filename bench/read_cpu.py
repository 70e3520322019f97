"""CPU per GET of a 1,000-line invoice, in-process: ``uv run python bench/read_cpu.py [--requests N]``.

Load on a shared machine moves wall-clock figures by several times; the CPU time one request costs the
server moves far less. This builds the app on a fresh PostgreSQL database (the harness's own, dropped at
the end), creates a 1,000-line draft invoice through the API (the same lines as ``bench/run.py``), then
sends N sequential ``GET /v1/invoices/{id}`` through httpx's ASGI transport and reports the process CPU
time per request (``time.process_time``; it includes the in-process client reading the answer) and the
statements sent per request through SQLAlchemy (the lines' read goes to the driver directly and is not
among them: add one). ``GET …/line-items/{id}`` is measured the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from billfold.api.app import create_app
from billfold.db.engine import make_engine
from billfold.db.migrate import upgrade
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization

ADMIN_URL = os.environ.get("BILLFOLD_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _cpu(requests: int, send: Callable[[], Awaitable[None]]) -> list[float]:
    spent = []
    for _ in range(requests):
        start = time.process_time()
        await send()
        spent.append((time.process_time() - start) * 1000)
    return spent


def _line(name: str, spent: list[float], statements: float) -> str:
    return (
        f"{name}: CPU ms per request median {statistics.median(spent):.1f}, min {min(spent):.1f}; "
        f"statements per request (through SQLAlchemy) {statements:.1f}"
    )


async def main(requests: int, taxed: bool, profile: bool = False) -> None:
    name = f"billfold_read_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://{ADMIN_URL.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        engine = make_engine(url, 5)
        sent = [0]

        def count(*_: Any) -> None:
            sent[0] += 1

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        async with UnitOfWork(engine) as uow:
            _, key = await create_organization(uow, "Read benchmark")
            await uow.commit()
        transport = httpx.ASGITransport(app=create_app(engine))
        headers = {"X-API-KEY": key}
        async with httpx.AsyncClient(transport=transport, base_url="http://b", headers=headers) as client:
            customer = (await client.post("/v1/customers", json={"name": "Bench"})).json()["id"]
            lines = [
                {"name": f"Item {i % 50}", "quantity": str(i % 7 + 1), "unitPrice": "12.345"}
                for i in range(1000)
            ]
            if taxed:
                rates = [{"rate": "19", "inclusive": False}]
                category = (
                    await client.post("/v1/tax-categories", json={"name": "VAT", "rates": rates})
                ).json()
                lines = [{**line, "taxCategoryId": category["id"]} for line in lines]
            body = {"customerId": customer, "lineItems": lines}
            created = await client.post("/v1/invoices", json=body, timeout=120)
            assert created.status_code == 201, created.text
            invoice = created.json()["id"]
            one = created.json()["standaloneLineItems"][500]["id"]

            async def get_invoice() -> None:
                assert (await client.get(f"/v1/invoices/{invoice}")).status_code == 200

            async def get_line() -> None:
                assert (await client.get(f"/v1/invoices/{invoice}/line-items/{one}")).status_code == 200

            for send in (get_invoice, get_line):
                await _cpu(5, send)  # warm-up: statement caches, prepared statements
                sent[0] = 0
                profiler = cProfile.Profile() if profile and send is get_invoice else None
                if profiler is not None:
                    profiler.enable()
                spent = await _cpu(requests, send)
                if profiler is not None:
                    profiler.disable()
                    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
                label = "GET a 1,000-line invoice" if send is get_invoice else "GET one of its lines"
                print(_line(f"{label}{' (taxed draft)' if taxed else ''}", spent, sent[0] / requests))
        await engine.dispose()
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--taxed", action="store_true", help="lines with a tax category (a taxed draft)")
    parser.add_argument("--profile", action="store_true", help="where the invoice GETs spent CPU (cProfile)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.taxed, arguments.profile))
