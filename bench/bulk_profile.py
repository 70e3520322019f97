"""CPU cost of bulk invoice creation, in process: ``uv run python bench/bulk_profile.py [--lines N]``.

Builds the app on a fresh PostgreSQL database (or ``--sqlite``), then sends ``--requests`` sequential
``POST /v1/invoices`` of ``--lines`` plain lines each (the body of ``bench/wrk/bulk_create.lua``) through
an in-process ASGI transport, and prints the process CPU time per request, the lines per CPU second and
the SQL statements per request sent through SQLAlchemy (on PostgreSQL the lines' ``COPY`` goes to the
driver directly and is not among them: add one). CPU time, not wall time:
the figure does not depend on what else the machine runs. The client's share is small (the body is
serialized once; the answer is not parsed). ``--profile out.txt`` runs the requests under cProfile and
writes the top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import orjson
from sqlalchemy import event

from billfold.api.app import GC_THRESHOLDS, create_app
from billfold.db.engine import make_engine
from billfold.db.migrate import upgrade
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization

ADMIN_URL = os.environ.get("BILLFOLD_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _gc_timer() -> Callable[[], float]:
    """The CPU seconds the cyclic garbage collector runs from now on (what ``collected()`` returns)."""
    spent = [0.0, 0.0]

    def watch(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            spent[1] = time.process_time()
        else:
            spent[0] += time.process_time() - spent[1]

    gc.callbacks.append(watch)
    return lambda: spent[0]


def body(customer: str, lines: int) -> bytes:
    items = [
        {"name": f"Item {i % 50}", "quantity": str(i % 7 + 1), "unitPrice": "12.345"}
        for i in range(1, lines + 1)
    ]
    return orjson.dumps({"customerId": customer, "lineItems": items})


async def admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def run(url: str, lines: int, requests: int, profile: str | None) -> None:
    engine = make_engine(url)
    statements = 0

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        nonlocal statements
        statements += 1
        if os.environ.get("BULK_SQL"):
            print(" ".join(sql.split())[:160])

    try:
        async with UnitOfWork(engine) as uow:
            _, key = await create_organization(uow, "Bench")
            await uow.commit()
        transport = httpx.ASGITransport(app=create_app(engine))
        headers = {"X-API-KEY": key, "Content-Type": "application/json"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            made = await client.post("/v1/customers", json={"name": "Bench"}, headers=headers)
            content = body(made.json()["id"], lines)
            for _ in range(2):  # warm up: caches of statements, products created by name
                answer = await client.post("/v1/invoices", content=content, headers=headers)
                assert answer.status_code == 201, answer.text
            if os.environ.get("BULK_GC") in ("freeze", "served"):
                gc.freeze()
            if os.environ.get("BULK_GC") == "served":  # the collector as a served process sets it
                given = os.environ.get("BULK_GC_THRESHOLDS")
                gc.set_threshold(*(map(int, given.split(",")) if given else GC_THRESHOLDS))
            collected = _gc_timer()
            profiler = cProfile.Profile() if profile else None
            statements = 0
            cpu, wall = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            each = []
            for i in range(requests):
                keyed = {**headers, "Idempotency-Key": f"bulk-{i}"}
                started = time.process_time()
                answer = await client.post("/v1/invoices", content=content, headers=keyed)
                each.append(time.process_time() - started)
                assert answer.status_code == 201, answer.text
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        per = cpu / requests
        gc_ms = collected() * 1000 / requests
        print(
            f"{engine.dialect.name}: {requests} x {lines} lines: CPU {per * 1000:.1f} ms/request "
            f"({lines / per:,.0f} lines per CPU second), wall {wall / requests * 1000:.1f} ms/request, "
            f"{statements / requests:.1f} statements/request, collector {gc_ms:.1f} ms/request; "
            f"CPU per request: median {statistics.median(each) * 1000:.1f} ms, "
            f"least {min(each) * 1000:.1f} ms"
        )
        if profiler and profile:
            _write_profile(profiler, profile)
    finally:
        await engine.dispose()


def _write_profile(profiler: cProfile.Profile, path: str) -> None:
    with open(path, "w") as handle:
        stats = pstats.Stats(profiler, stream=handle)
        stats.sort_stats("cumulative").print_stats(80)
        stats.sort_stats("tottime").print_stats(60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--profile")
    args = parser.parse_args()
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/bench.db"
            upgrade(url)
            asyncio.run(run(url, args.lines, args.requests, args.profile))
        return
    name = f"billfold_bulk_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        url = f"{ADMIN_URL.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
        upgrade(url)
        asyncio.run(run(url, args.lines, args.requests, args.profile))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
