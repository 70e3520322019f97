"""Adding lines under an invoice-level discount: ``uv run python bench/adjusted_adds.py``.

Builds a 10-line and a 10,000-line draft invoice (seven lines through the service layer in this
process, the rest bulk copies of them: not 10,000 HTTP requests), every line taxed at 20 %, puts an
invoice-level 10 % discount on each, then times ``--samples`` sequential ``POST .../line-items`` on
each through the API (in process, ``httpx.ASGITransport``), interleaved so drift hits both alike.
Target: the median add on the large invoice is at most 1.5x the median on the small one (a covering
adjustment's amount follows from running sums, so a write does not read the other lines).

SQLite (a temporary file) by default; ``--postgres URL`` (an existing database, e.g.
``postgresql+asyncpg://postgres@127.0.0.1:5432/bench``) to run on PostgreSQL. ``--record`` appends the
result to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.app import create_app
from billfold.db import models as m
from billfold.db.engine import make_engine
from billfold.db.ids import new_id
from billfold.db.migrate import upgrade
from billfold.db.uow import UnitOfWork
from billfold.services.line_items import NewLine, create_line
from billfold.services.organizations import authenticate, create_organization

ROOT = Path(__file__).resolve().parent.parent


async def fill(engine: AsyncEngine, key: str, invoice_id: str, count: int, category: str) -> None:
    """``count`` lines: seven through the service layer (quantities 1 to 7), the rest copies of them
    inserted in bulk (new ids and positions). The discount added afterwards recalculates the invoice
    from all its lines and rebuilds its running sums, so the copies need no sums of their own."""
    async with UnitOfWork(engine) as uow:
        actor = await authenticate(uow, key)
        invoice = uuid.UUID(invoice_id)
        for index in range(min(count, 7)):
            line = NewLine(
                idempotency_key=f"fill-{index}",
                name=f"Item {index}",
                quantity=Decimal(index + 1),
                unit_price=Decimal("12.345"),
                tax_category_id=uuid.UUID(category),
            )
            await create_line(uow, actor, invoice, line)
        table = m.LineItem.__table__
        models = [row._asdict() for row in await uow.repo.lines_of(invoice)]
        copies = []
        for position in range(len(models), count):
            copy = dict(models[position % len(models)])
            copy.update(id=new_id(), position=position, idempotency_key=f"fill-{position}")
            copies.append(copy)
        for start in range(0, len(copies), 1000):
            await uow.session.execute(insert(table), copies[start : start + 1000])
        await uow.session.execute(
            update(m.Invoice.__table__).where(m.Invoice.id == invoice).values(next_line_index=count)
        )
        await uow.commit()


async def measure(url: str, large_lines: int, samples: int) -> dict[str, float]:
    engine = make_engine(url)
    async with UnitOfWork(engine) as uow:
        _, key = await create_organization(uow, "Bench")
        await uow.commit()
    transport = httpx.ASGITransport(app=create_app(engine))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers={"X-API-KEY": key}, timeout=600
    ) as client:
        customer = (await client.post("/v1/customers", json={"name": "Bench"})).json()["id"]
        category = (
            await client.post("/v1/tax-categories", json={"name": "VAT", "rates": [{"rate": "20"}]})
        ).json()["id"]
        invoices = []
        for count in (10, large_lines):
            invoice_id = (await client.post("/v1/invoices", json={"customerId": customer})).json()["id"]
            started = time.perf_counter()
            await fill(engine, key, invoice_id, count, category)
            print(f"filled {count} lines in {time.perf_counter() - started:.1f} s")
            discount = {"type": "percentage_discount", "percentage": "10"}
            response = await client.post(f"/v1/invoices/{invoice_id}/adjustments", json=discount)
            response.raise_for_status()
            invoices.append(invoice_id)

        async def add(invoice_id: str, index: int) -> float:
            body = {"name": "Added", "quantity": str(index % 7 + 1), "unitPrice": "12.345"}
            body["taxCategoryId"] = category
            started = time.perf_counter()
            response = await client.post(f"/v1/invoices/{invoice_id}/line-items", json=body)
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            return elapsed

        for index in range(5):  # warm-up
            await add(invoices[0], index)
            await add(invoices[1], index)
        small, large = [], []
        for index in range(samples):
            small.append(await add(invoices[0], index))
            large.append(await add(invoices[1], index))
        listed = (await client.get(f"/v1/invoices/{invoices[1]}")).json()
    await engine.dispose()
    return {
        "small_ms": statistics.median(small) * 1000,
        "large_ms": statistics.median(large) * 1000,
        "ratio": statistics.median(large) / statistics.median(small),
        "lines": float(len(listed["standaloneLineItems"])),
    }


def report(results: dict[str, float], backend: str, args: argparse.Namespace) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            f"### Adding lines under an invoice-level 10 % discount ({backend}) — {when}",
            "",
            f"`bench/adjusted_adds.py`; Python {platform.python_version()}; API in process (ASGI); "
            f"{args.samples} sequential adds to each invoice, interleaved; every line taxed at 20 %.",
            "",
            "| measure | result | target |",
            "| --- | --- | --- |",
            f"| add to a 10-line invoice, median | {results['small_ms']:.2f} ms | |",
            f"| add to a {args.large_lines:,}-line invoice, median | {results['large_ms']:.2f} ms | |",
            f"| ratio large / small | {results['ratio']:.2f}x | at most 1.5x |",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--large-lines", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--postgres", help="an existing PostgreSQL database (SQLAlchemy asyncpg URL)")
    parser.add_argument("--record", action="store_true", help="append the table to docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.postgres or f"sqlite+aiosqlite:///{directory}/bench.db"
        upgrade(url)
        results = asyncio.run(measure(url, args.large_lines, args.samples))
    table = report(results, "PostgreSQL" if args.postgres else "SQLite", args)
    print(table)
    if args.record:
        with (ROOT / "docs" / "benchmarks.md").open("a") as handle:
            handle.write("\n" + table)


if __name__ == "__main__":
    main()
