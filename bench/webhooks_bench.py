"""Webhook benchmark: ``uv run python bench/webhooks_bench.py`` (``--record`` appends to docs/benchmarks.md).

On a fresh PostgreSQL database, in one process (the app driven in-process over ASGI, no HTTP server):

1. issue throughput without any webhook endpoint, then with one endpoint subscribed to every event (the
   outbox's cost on the write path: each issue also writes its delivery row);
2. delivery throughput: two deliverers (as two ``billfold worker`` loops would) send the queued events
   to a local receiver running in its own process (uvicorn, answers 200), until none is pending.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.app import create_app
from billfold.config import WebhookSettings
from billfold.db import models as m
from billfold.db.engine import make_engine
from billfold.db.migrate import upgrade
from billfold.db.uow import UnitOfWork
from billfold.delivery.deliverer import Deliverer
from billfold.services.organizations import create_organization

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BILLFOLD_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
RECEIVER = """
import uvicorn

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})

uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


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


async def organization(engine: AsyncEngine, name: str) -> str:
    async with UnitOfWork(engine) as uow:
        _, key = await create_organization(uow, name)
        await uow.commit()
    return key


async def drafts(client: httpx.AsyncClient, key: str, count: int) -> list[str]:
    headers = {"X-API-KEY": key}
    customer = (await client.post("/v1/customers", json={"name": "Bench"}, headers=headers)).json()["id"]
    ids = []
    for _ in range(count):
        invoice = (await client.post("/v1/invoices", json={"customerId": customer}, headers=headers)).json()
        line = {"name": "Work", "quantity": "1", "unitPrice": "10.00"}
        await client.post(f"/v1/invoices/{invoice['id']}/line-items", json=line, headers=headers)
        ids.append(invoice["id"])
    return ids


async def issue_all(client: httpx.AsyncClient, key: str, ids: list[str], concurrency: int) -> float:
    """Issue every invoice with ``concurrency`` clients; invoices per second."""
    queue = list(ids)
    headers = {"X-API-KEY": key}

    async def worker() -> None:
        while queue:
            invoice = queue.pop()
            response = await client.post(f"/v1/invoices/{invoice}/issue", json={}, headers=headers)
            assert response.status_code == 200, response.text

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(ids) / (time.perf_counter() - started)


async def pending(engine: AsyncEngine) -> int:
    async with UnitOfWork(engine, readonly=True) as uow:
        statement = select(func.count()).where(m.WebhookDelivery.status == "pending")
        return int((await uow.session.execute(statement)).scalar_one())


async def deliver_all(engine: AsyncEngine, settings: WebhookSettings, loops: int) -> tuple[int, float]:
    """Run ``loops`` deliverers until nothing is pending; (deliveries, per second)."""
    total = await pending(engine)
    deliverers = [Deliverer(engine, settings, batch=50) for _ in range(loops)]

    async def loop(deliverer: Deliverer) -> None:
        while await deliverer.run_once() or await pending(engine):
            pass

    started = time.perf_counter()
    try:
        await asyncio.gather(*(loop(d) for d in deliverers))
    finally:
        for deliverer in deliverers:
            await deliverer.close()
    return total, total / (time.perf_counter() - started)


def start_receiver(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", RECEIVER.replace("{port}", str(port))])


async def main(invoices: int, concurrency: int) -> list[tuple[str, str]]:
    database = f"billfold_webhooks_bench_{uuid.uuid4().hex[:8]}"
    await admin(f'CREATE DATABASE "{database}"')
    url = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{database}"
    port = free_port()
    receiver = start_receiver(port)
    try:
        await asyncio.to_thread(upgrade, url)
        engine = make_engine(url, pool_size=20)
        settings = WebhookSettings(allow_private=True, timeout=10)
        app = create_app(engine)
        app.state.webhook_settings = settings
        transport = httpx.ASGITransport(app=app)
        rows: list[tuple[str, str]] = []
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            plain = await organization(engine, "No endpoint")
            ids = await drafts(client, plain, invoices)
            without = await issue_all(client, plain, ids, concurrency)
            hooked = await organization(engine, "One endpoint")
            endpoint = {"url": f"http://127.0.0.1:{port}/hooks"}
            created = await client.post("/v1/webhook-endpoints", json=endpoint, headers={"X-API-KEY": hooked})
            assert created.status_code == 201, created.text
            ids = await drafts(client, hooked, invoices)
            with_endpoint = await issue_all(client, hooked, ids, concurrency)
        rows.append(
            (f"issue, no endpoint ({invoices} invoices, {concurrency} concurrent)", f"{without:.0f}/s")
        )
        rows.append((f"issue, one endpoint subscribed to every event ({invoices})", f"{with_endpoint:.0f}/s"))
        rows.append(("issue throughput with / without an endpoint", f"{with_endpoint / without:.2f}"))
        for loops in (1, 2):
            if loops == 2:
                async with UnitOfWork(engine) as uow:
                    await uow.session.execute(
                        m.WebhookDelivery.__table__.update().values(status="pending", attempts=0)  # type: ignore[attr-defined]
                    )
                    await uow.session.commit()
            total, rate = await deliver_all(engine, settings, loops)
            rows.append(
                (
                    f"events delivered to a local receiver, {loops} deliverer(s) ({total} events)",
                    f"{rate:.0f}/s",
                )
            )
        await engine.dispose()
        return rows
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
        await admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def table(rows: list[tuple[str, str]]) -> str:
    cpu = platform.processor() or platform.machine()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"### Webhooks on PostgreSQL — {when}",
        "",
        f"Machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}. In-process app (ASGI),"
        " receiver: uvicorn in its own process on loopback.",
        "",
        "| measure | result |",
        "| --- | --- |",
        *(f"| {name} | {value} |" for name, value in rows),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--record", action="store_true", help="append the table to docs/benchmarks.md")
    args = parser.parse_args()
    output = table(asyncio.run(main(args.invoices, args.concurrency)))
    print(output)
    if args.record:
        with (ROOT / "docs" / "benchmarks.md").open("a") as handle:
            handle.write("\n" + output)
