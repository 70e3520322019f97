"""How long issuing holds the gapless counter's row lock, and what runs while it is held.

Runs in one process against a fresh PostgreSQL database (the app served in-process, as the tests do):
makes ``--invoices`` one-line invoices (of as many customers, a month-end run, or of one customer), then
issues them ``--concurrency`` at a time and logs every SQL statement with its connection and time. From
the moment a connection's statement takes the series' counter row (the statement that writes
``number_counters``) to the end of its COMMIT, the lock is held: the script prints how many statements
ran in that window per issue and the hold time (p50, p90, max), the CPU time per issue (this process:
server and in-process client together) and checks the numbers are 1..N, each once.

    .venv/bin/python bench/issue_lock.py --invoices 400 --concurrency 16 --customers many
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections import Counter, defaultdict
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from billfold.api.app import create_app
from billfold.db.engine import make_engine
from billfold.db.migrate import upgrade
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


class LockLog:
    """Per connection: when the counter was taken and which statements ran until the commit ended."""

    def __init__(self) -> None:
        self.open: dict[int, tuple[float, list[str]]] = {}
        self.count = 0
        # per connection: when the counter's statement returned, when the COMMIT was sent
        self.marks: dict[int, dict[str, float]] = {}
        self.phases: list[tuple[float, float, float]] = []
        self.holds: list[float] = []
        self.spans: list[tuple[float, float]] = []
        self.statements: list[list[str]] = []

    def statement(self, connection: int, sql: str) -> None:
        flat = " ".join(sql.split())
        self.count += 1
        if connection in self.open:
            self.open[connection][1].append(flat)
        elif "number_counters" in flat and ("UPDATE" in flat.upper() or "FOR UPDATE" in flat.upper()):
            self.open[connection] = (time.perf_counter(), [flat])
            self.marks[connection] = {}

    def mark(self, connection: int, name: str) -> None:
        marks = self.marks.get(connection)
        if marks is not None and name not in marks:
            marks[name] = time.perf_counter()

    def ended(self, connection: int, committed: bool) -> None:
        started = self.open.pop(connection, None)
        marks = self.marks.pop(connection, {})
        if started is None:
            return
        if committed:
            end = time.perf_counter()
            self.holds.append(end - started[0])
            self.spans.append((started[0], end))
            self.statements.append([*started[1], "COMMIT"])
            if "returned" in marks and "commit" in marks:
                returned, sent = marks["returned"], marks["commit"]
                self.phases.append((returned - started[0], sent - returned, end - sent))


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _short(sql: str) -> str:
    words = sql.split()
    return " ".join(words[:6]) + (" ..." if len(words) > 6 else "")


async def run(args: argparse.Namespace, url: str) -> None:
    engine = make_engine(url, pool_size=args.concurrency + 4)
    log = LockLog()

    def before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        log.statement(id(conn.connection.dbapi_connection), statement)

    def after(conn: Any, *rest: Any) -> None:
        log.mark(id(conn.connection.dbapi_connection), "returned")

    def commit(conn: Any) -> None:
        log.mark(id(conn.connection.dbapi_connection), "commit")

    def after_rollback(conn: Any) -> None:
        log.ended(id(conn.connection.dbapi_connection), False)

    async with UnitOfWork(engine) as uow:
        _, key = await create_organization(uow, "Lock bench")
        await uow.commit()
    app = create_app(engine)
    transport = httpx.ASGITransport(app=app)
    limits = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers={"X-API-KEY": key}, limits=limits, timeout=120
    ) as client:

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await client.post(path, json=body)
            assert response.status_code in (200, 201), response.text
            data: dict[str, Any] = response.json()
            return data

        line = {"name": "Item", "quantity": "3", "unitPrice": "12.345"}
        one = (await post("/v1/customers", {"name": "One"}))["id"]
        ids = []
        for index in range(args.invoices):
            customer = one
            if args.customers == "many":
                customer = (await post("/v1/customers", {"name": f"Customer {index}"}))["id"]
            ids.append((await post("/v1/invoices", {"customerId": customer, "lineItems": [line]}))["id"])

        # SQLAlchemy's commit event fires before the COMMIT is sent: time the end of the commit from
        # the unit of work's commit instead.
        event.listen(engine.sync_engine, "before_cursor_execute", before)
        event.listen(engine.sync_engine, "after_cursor_execute", after)
        event.listen(engine.sync_engine, "commit", commit)
        event.listen(engine.sync_engine, "rollback", after_rollback)
        original = UnitOfWork.commit

        async def timed_commit(self: UnitOfWork) -> None:
            connection = await self.session.connection()
            raw = id((await connection.get_raw_connection()).dbapi_connection)
            await original(self)
            log.ended(raw, True)

        UnitOfWork.commit = timed_commit  # type: ignore[method-assign]
        gate = asyncio.Semaphore(args.concurrency)

        async def issue(invoice_id: str) -> str:
            async with gate:
                answer = await post(f"/v1/invoices/{invoice_id}/issue", {"issueDate": "2026-06-01"})
                return str(answer["invoiceNumber"])

        cpu, wall = time.process_time(), time.perf_counter()
        numbers = await asyncio.gather(*(issue(i) for i in ids))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        UnitOfWork.commit = original  # type: ignore[method-assign]
    await engine.dispose()

    expected = [f"INV-2026-{n:06d}" for n in range(1, len(ids) + 1)]
    assert sorted(numbers) == expected, "numbers are not 1..N, each once"
    holds = sorted(h * 1000 for h in log.holds)
    # One counter row: the locks are held one after the other, in the order the commits end, so each
    # transaction holds it from the later of its request and the previous commit's end until its own end.
    held, previous = [], 0.0
    for start, end in sorted(log.spans, key=lambda span: span[1]):
        held.append((end - max(start, previous)) * 1000)
        previous = end
    counts = Counter(len(s) for s in log.statements)
    print(f"{len(ids)} issues, {args.concurrency} at a time, customers: {args.customers}")
    print(f"  numbers 1..{len(ids)}, each once: yes")
    rate, per_issue = len(ids) / wall, cpu / len(ids) * 1000
    print(f"  wall {wall:.2f} s ({rate:.0f} issues/s), CPU {per_issue:.2f} ms per issue")
    quantiles = statistics.quantiles(holds, n=10)
    print(
        f"  counter lock held (from its acquisition): p50 {statistics.median(held):.2f} ms, "
        f"mean {statistics.fmean(held):.2f} ms, sum {sum(held) / 1000:.2f} s of {wall:.2f} s"
    )
    print(
        f"  counter requested until COMMIT ended (waiting + holding): p50 {statistics.median(holds):.2f} ms,"
        f" p90 {quantiles[-1]:.2f} ms, max {holds[-1]:.2f} ms, mean {statistics.fmean(holds):.2f} ms"
    )
    if log.phases:
        statement, gap, committing = (statistics.median(p[i] * 1000 for p in log.phases) for i in range(3))
        print(
            f"  of which (p50): the statement taking the counter until its answer {statement:.2f} ms, "
            f"its answer until COMMIT is sent {gap:.2f} ms, COMMIT {committing:.2f} ms"
        )
    print(f"  statements per issue request (BEGIN and COMMIT not counted): {log.count / len(ids):.1f}")
    print(f"  statements from taking the counter to COMMIT (incl. both): {dict(sorted(counts.items()))}")
    shapes: dict[tuple[str, ...], int] = defaultdict(int)
    for statements in log.statements:
        shapes[tuple(_short(s) for s in statements)] += 1
    for shape, times in sorted(shapes.items(), key=lambda item: -item[1])[:3]:
        print(f"  {times} x:")
        for sql in shape:
            print(f"      {sql}")


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--invoices", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--customers", choices=("many", "one"), default="many")
    args = parser.parse_args()
    name = f"billfold_lock_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    try:
        upgrade(url)
        asyncio.run(run(args, url))
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
