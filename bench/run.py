"""API benchmark: ``make bench`` (or ``uv run python bench/run.py``).

Starts ``billfold serve`` (two workers) on a fresh PostgreSQL database, drives it with ``wrk`` (a light C
load generator, so the server keeps the machine's cores; scripts in ``bench/wrk/``), and runs pgbench's
same-work SQL scripts (``bench/pgbench/``) against the same PostgreSQL in the same run (the add's and the
issue's in ``--rounds`` rounds (3), each round's API run and SQL run back to back, the server idle during
the SQL one, which of the two goes first alternating from round to round; the bulk inserts' once the
server has stopped), and prints each figure with its ratio to its SQL counterpart (for the add and the
issues: the rounds' operations over their seconds on each side, and each round's own ratio):

1. add a line (unique ``Idempotency-Key`` each) to one of 16 draft invoices, 16 connections
   / ``add_line.sql`` (idempotency record + lock + line insert + invoice update + stored answer);
2. issue invoices, 16 connections: many customers' (a month-end run) and one customer's, after an
   untimed run that warms the server's connections up / ``counter.sql`` (the gapless counter of one
   series, 16 clients);
3. create 1,000-line invoices in one request each, 4 connections (lines/s)
   / a multi-row INSERT of the same 1,000 lines (generated at run time), 4 clients, into a table shaped
   like Billfold's and, second, into Billfold's own ``line_items`` (its foreign keys, indexes and the
   trigger that keeps each line's answer), onto the benchmark's invoice;
4. GET of a 1,000-line invoice, 4 connections: p50/p90/p99 (the goal is absolute: p50 under 30 ms);
5. one add (1 connection) to a 10-line and to a 10,000-line invoice: a write must not grow with the
   invoice (at most 1.5x).

The data the runs need is made through the API first, then the database is vacuumed and analyzed, as
autovacuum does on a server that runs it (this machine's PostgreSQL has autovacuum off: without
statistics a lookup may probe a wider index than its own key's). After the API half, the indexes read
most widely per scan are printed to stderr: a plan that reads far more entries than it finds shows there.
The load average is printed with each figure: on a shared machine the ratios are what compare.
Each timed run also records the CPU time it cost each party (``/proc``, read every 0.2 s): the server's
processes, the PostgreSQL backends serving the benchmark's database, PostgreSQL's other processes and the
load generator (wrk or pgbench), per operation. A second table prints them: where an operation's time
goes, and the ratio Billfold would reach if its own processes cost nothing (its backends' and the load
generator's share alone against the counterpart's), which no change to Billfold's Python can exceed.
Prints Markdown tables; ``--record`` appends them to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BILLFOLD_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PGBENCH = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
TICKS = os.sysconf("SC_CLK_TCK")


class CpuWatch:
    """The CPU time each party uses while the watch runs, read from ``/proc`` every 0.2 s (a process that
    exits between two readings loses at most its last 0.2 s): the server (``server_pid`` and its
    workers), PostgreSQL's backends serving ``database``, PostgreSQL's other processes (checkpointer, WAL
    writer, autovacuum: work the run causes, or an earlier one left), and the load generator (wrk,
    pgbench)."""

    PARTIES = ("server", "postgres", "postgres_background", "client")

    def __init__(self, server_pid: int | None, database: str) -> None:
        self.server_pid = server_pid
        self.database = database
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> CpuWatch:
        self._read(first=True)
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()
        self._read()

    def _watch(self) -> None:
        while not self.stop.wait(0.2):
            self._read()

    def _party(self, pid: int, name: str, parent: int) -> str | None:
        if self.server_pid is not None and self.server_pid in (pid, parent):
            return "server"
        if name.startswith("postgres"):
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                return None
            return "postgres" if f" {self.database} " in title else "postgres_background"
        if name in ("wrk", "pgbench"):
            return "client"
        return None

    def _read(self, *, first: bool = False) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                raw = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = raw.rsplit(")", 1)[1].split()
            used = (int(fields[11]) + int(fields[12])) / TICKS
            if first:
                self.first[pid] = used
            known = self.last.get(pid)
            if known is None:
                party = self._party(pid, raw[raw.index("(") + 1 : raw.rindex(")")], int(fields[1]))
                if party is None:
                    continue
                known = (party, used)
            self.last[pid] = (known[0], used)

    def per(self, operations: float) -> dict[str, float]:
        """Milliseconds of CPU per operation for each party."""
        totals = dict.fromkeys(self.PARTIES, 0.0)
        for pid, (party, used) in self.last.items():
            totals[party] += used - self.first.get(pid, 0.0)
        count = max(operations, 1)
        return {party: round(1000 * spent / count, 3) for party, spent in totals.items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def admin(sql: str, database: str | None = None) -> None:
    url = ADMIN_URL if database is None else f"{ADMIN_URL.rsplit('/', 1)[0]}/{database}"
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def index_reads(database: str) -> list[tuple[str, int, float]]:
    """The indexes the timed runs scanned most widely (index entries read per scan, over 100 scans or
    more): a lookup whose plan reads many entries per scan (a key probed by a wider index than it needs, on a
    database whose statistics are not gathered yet) shows here."""
    url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{database}"
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT indexrelname, idx_scan, idx_tup_read::float / idx_scan FROM pg_stat_user_indexes"
            " WHERE idx_scan >= 100 ORDER BY 3 DESC LIMIT 5"
        )
    finally:
        await connection.close()
    return [(row[0], row[1], round(row[2], 1)) for row in rows]


def start_server(database: str, port: int, workers: int) -> tuple[subprocess.Popen[str], str]:
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    env = {**os.environ, "BILLFOLD_DATABASE_URL": f"{base}/{database}"}
    command = [sys.executable, "-m", "billfold.cli", "serve", "--port", str(port), "--workers", str(workers)]
    command += ["--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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


def wrk(
    script: str,
    port: int,
    connections: int,
    seconds: int,
    env: dict[str, str],
    watched: tuple[int, str] | None = None,
) -> dict[str, Any]:
    """One wrk run (2 threads; 1 for 1 connection): its script's RESULT line, with the load average when it
    ended. A script that stops its threads early (issue.lua, when every invoice is issued) writes one line
    per stopped thread to BILLFOLD_BENCH_MARKER; wrk is then interrupted (it reports on SIGINT)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s"]
    command += ["-s", f"bench/wrk/{script}", f"http://127.0.0.1:{port}"]
    marker = Path(tempfile.mkstemp(suffix=".marker")[1])
    run_env = {
        **os.environ,
        "BILLFOLD_BENCH_THREADS": str(threads),
        "BILLFOLD_BENCH_MARKER": str(marker),
        **env,
    }
    with CpuWatch(*(watched or (None, ""))) as watch:
        process = subprocess.Popen(command, cwd=ROOT, env=run_env, stdout=subprocess.PIPE, text=True)
        try:
            while process.poll() is None:
                if marker.read_text().count("stopped") >= 2:
                    process.send_signal(signal.SIGINT)
                    break
                time.sleep(0.2)
            stdout, _ = process.communicate(timeout=120)
        finally:
            marker.unlink()
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            figures: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
            figures["rps"] = figures["requests"] / figures["seconds"]
            figures["load"] = load()
            operations = figures.get("issued", figures["requests"])
            figures["cpu_ms"] = watch.per(operations)
            return figures
    raise SystemExit(f"no result from wrk {script}:\n{stdout}")


def pgbench(database: str, script: Path, clients: int, seconds: int) -> dict[str, Any]:
    command = [PGBENCH, "-h", "127.0.0.1", "-U", "postgres", "-n", "-f", str(script)]
    command += ["-c", str(clients), "-j", "2", "-T", str(seconds), database]
    with CpuWatch(None, database) as watch:
        result = subprocess.run(command, capture_output=True, text=True, check=True)
    processed = [
        int(line.split(":")[1].split("/")[0])
        for line in result.stdout.splitlines()
        if line.startswith("number of transactions actually processed")
    ]
    for line in result.stdout.splitlines():
        if line.startswith("tps"):
            tps = float(line.split("=")[1].split()[0])
            operations = processed[0] if processed else tps * seconds
            return {"tps": tps, "load": load(), "cpu_ms": watch.per(operations)}
    raise SystemExit(f"could not read pgbench output:\n{result.stdout}{result.stderr}")


def bulk_sql(lines: int) -> Path:
    """The multi-row INSERT of ``lines`` lines, their values sent as literals (as a client sends them)."""
    rows = ",\n".join(
        f"('00000000-0000-0000-0000-000000000001', gen_random_uuid(), 1, {i}, 'Item {i % 50}', {i % 7 + 1}, "
        f"12.345, {round((i % 7 + 1) * 12.345, 2)}, {round((i % 7 + 1) * 12.345, 2)}, "
        f"'k{i}-' || random(), now())"
        for i in range(lines)
    )
    handle = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False)  # noqa: SIM115
    with handle:
        handle.write(f"INSERT INTO pgb_lines VALUES\n{rows};\n")
    return Path(handle.name)


async def a_line_of(database: str, invoice_id: str) -> tuple[str, str, str]:
    """The organization, invoice and product of one of the invoice's lines."""
    connection = await asyncpg.connect(f"{ADMIN_URL.rsplit('/', 1)[0]}/{database}")
    try:
        row = await connection.fetchrow(
            "SELECT organization_id::text, invoice_id::text, product_id::text FROM line_items"
            " WHERE invoice_id = $1 LIMIT 1",
            uuid.UUID(invoice_id),
        )
        return row[0], row[1], row[2]
    finally:
        await connection.close()


def own_table_sql(lines: int, organization: str, invoice: str, product: str) -> Path:
    """The same multi-row INSERT into Billfold's own ``line_items`` (its foreign keys, indexes and the
    trigger that keeps each line's answer), onto an existing invoice of the benchmark's database."""
    columns = (
        "organization_id, id, invoice_id, product_id, position, name, scope, start_date, end_date, pricing,"
        " quantity, unit_price, subtotal_amount, discount_amount, adjustment_amount, net_amount, tax_amount,"
        " total_amount, idempotency_key, created_at, amount_places"
    )
    rows = []
    for i in range(lines):
        amount = round((i % 7 + 1) * 12.345, 2)
        rows.append(
            f"('{organization}', gen_random_uuid(), '{invoice}', '{product}', {i}, 'Item {i % 50}',"
            f" 'one_off', '2026-12-01', '2026-12-31', 'unit_price', {i % 7 + 1}, 12.345, {amount},"
            f" 0.00, 0.00, {amount}, 0.00, {amount}, gen_random_uuid()::text, now(), 2)"
        )
    handle = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False)  # noqa: SIM115
    with handle:
        handle.write(f"INSERT INTO line_items ({columns}) VALUES\n" + ",\n".join(rows) + ";\n")
    return Path(handle.name)


def ids_file(ids: list[str]) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)  # noqa: SIM115
    with handle:
        handle.write("\n".join(ids) + "\n")
    return handle.name


async def prepare(key: str, port: int, args: argparse.Namespace) -> dict[str, Any]:
    """What the runs need, made through the API: draft invoices, invoices to issue, a 1,000-line invoice."""
    limits = httpx.Limits(max_connections=8)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"X-API-KEY": key}, timeout=120, limits=limits
    ) as client:

        async def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await client.post(url, json=body)
            if response.status_code != 201:
                raise SystemExit(f"{url}: {response.status_code} {response.text[:500]}")
            data: dict[str, Any] = response.json()
            return data

        one = (await post("/v1/customers", {"name": "Bench"}))["id"]
        line = {"name": "Item", "quantity": "3", "unitPrice": "12.345"}
        drafts = [(await post("/v1/invoices", {"customerId": one}))["id"] for _ in range(16)]

        async def invoice_for(customer: str) -> str:
            invoice: str = (await post("/v1/invoices", {"customerId": customer, "lineItems": [line]}))["id"]
            return invoice

        async def month_end(index: int) -> str:
            customer = (await post("/v1/customers", {"name": f"Customer {index}"}))["id"]
            return await invoice_for(customer)

        issued = args.invoices * args.rounds  # each round issues its own
        many = await asyncio.gather(*(month_end(i) for i in range(issued)))
        single = await asyncio.gather(*(invoice_for(one) for _ in range(issued)))
        warm = await asyncio.gather(*(invoice_for(one) for _ in range(200)))
        lines = [
            {"name": f"Item {i % 50}", "quantity": str(i % 7 + 1), "unitPrice": "12.345"} for i in range(1000)
        ]
        large = (await post("/v1/invoices", {"customerId": one, "lineItems": lines}))["id"]
        small = (await post("/v1/invoices", {"customerId": one, "lineItems": lines[:10]}))["id"]
        huge = (await post("/v1/invoices", {"customerId": one, "lineItems": lines * 10}))["id"]
    return {
        "customer": one,
        "drafts": drafts,
        "many": list(many),
        "single": list(single),
        "warm": list(warm),
        "large": large,
        "small": small,
        "huge": huge,
    }


def combined_wrk(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several wrk runs of one script as one: their requests (and issued, refused, errors) and seconds
    added up, the CPU per operation over all of them, each run's rate kept (``rounds``), the latencies'
    percentiles the median of the runs' own, the load average the last run's."""
    first = runs[0]
    counted = [name for name in first if isinstance(first[name], int)]
    together: dict[str, Any] = {name: sum(run[name] for run in runs) for name in counted}
    together["seconds"] = sum(run["seconds"] for run in runs)
    for name in ("p50_ms", "p90_ms", "p99_ms"):
        together[name] = sorted(run[name] for run in runs)[len(runs) // 2]
    operations = [run.get("issued", run["requests"]) for run in runs]
    together["rps"] = together["requests"] / together["seconds"]
    together["rounds"] = [done / run["seconds"] for done, run in zip(operations, runs, strict=True)]
    together["load"] = runs[-1]["load"]
    together["cpu_ms"] = _weighted([run["cpu_ms"] for run in runs], operations)
    return together


def combined_pgbench(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several pgbench runs of one script (each as long as the others) as one: the mean of their rates,
    each kept (``rounds``), the CPU per transaction over all of them, the last run's load average."""
    weights = [run["tps"] for run in runs]
    return {
        "tps": sum(weights) / len(runs),
        "rounds": weights,
        "load": runs[-1]["load"],
        "cpu_ms": _weighted([run["cpu_ms"] for run in runs], weights),
    }


def _weighted(figures: list[dict[str, float]], weights: list[float]) -> dict[str, float]:
    total = sum(weights) or 1
    return {
        party: sum(cpu[party] * weight for cpu, weight in zip(figures, weights, strict=True)) / total
        for party in figures[0]
    }


def measure(
    args: argparse.Namespace, key: str, port: int, watched: tuple[int, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The API half's timed runs, and the SQL counterparts of the add and the issue, each run right
    after its API run (the server idle meanwhile): the host's speed moves by a third within minutes, so
    a counterpart measured a minute and a half later (after every other API run) compared the two at
    different speeds."""
    made = asyncio.run(prepare(key, port, args))
    database = watched[1]
    asyncio.run(admin((ROOT / "bench/pgbench/schema.sql").read_text(), database))  # vacuumed below too
    # The planner's statistics and the dead row versions cleared, as autovacuum does on a server that
    # runs it (this machine's PostgreSQL has it off): without statistics a lookup may probe a wider
    # index than its key's (see index_reads); without the vacuum the first timed run pays for pruning
    # what the preparation left (each invoice made, then updated by its lines: the first issue run
    # wrote 31 WAL records per issue, the second 18, whichever of the two came first).
    asyncio.run(admin("VACUUM (ANALYZE)", database))
    # The index counters from here on: the timed runs' scans, not the preparation's (whose plans were
    # made before the statistics; a backend may still report up to a second of those).
    time.sleep(1.5)
    asyncio.run(admin("SELECT pg_stat_reset()", database))
    base = {"BILLFOLD_BENCH_KEY": key}
    seconds = args.seconds
    wrk("get_invoice.lua", port, 4, 2, {**base, "BILLFOLD_BENCH_INVOICE": made["large"]})  # warm-up
    results: dict[str, Any] = {}
    sql: dict[str, Any] = {}
    scripts = ROOT / "bench/pgbench"
    drafts = {**base, "BILLFOLD_BENCH_IDS": ids_file(made["drafts"])}
    wrk("add_line.lua", port, 16, 2, drafts)  # warm-up, as the issue runs' below
    # Issues that warm the server's connections up first (each prepares the issue's statements, and
    # PostgreSQL plans each anew for its first five runs): whichever issue run came first paid for it
    # (its backends 0.7-1.5 ms more per issue of the 400), not what an issue costs a running server.
    wrk("issue.lua", port, 16, 600, {**base, "BILLFOLD_BENCH_IDS": ids_file(made["warm"])})
    # The add and the issues against their SQL counterparts in rounds, each round's API run and SQL
    # run back to back, which one goes first alternating from round to round: the host's speed drifts
    # by a third within minutes (a single pair of runs gave an add ratio of 0.21 and, two minutes
    # later, 0.34), so each figure is the rounds' together (operations over seconds, both sides).
    rounds: dict[str, list[dict[str, Any]]] = {}
    size = args.invoices

    def add_api(index: int) -> None:
        rounds.setdefault("add", []).append(wrk("add_line.lua", port, 16, seconds, drafts, watched))

    def add_sql(index: int) -> None:
        rounds.setdefault("sql_add", []).append(pgbench(database, scripts / "add_line.sql", 16, seconds))

    def issue_api(index: int) -> None:
        # this round's own invoices; which kind goes first alternates too: the first API run after a
        # pgbench run was the slower one in every round (0.19-0.20 of counter.sql against 0.26-0.30)
        for name in ("many", "single") if index % 2 == 0 else ("single", "many"):
            env = {**base, "BILLFOLD_BENCH_IDS": ids_file(made[name][index * size : (index + 1) * size])}
            rounds.setdefault(f"issue_{name}", []).append(wrk("issue.lua", port, 16, 600, env, watched))

    def issue_sql(index: int) -> None:
        rounds.setdefault("sql_counter", []).append(pgbench(database, scripts / "counter.sql", 16, seconds))

    for index in range(args.rounds):
        api_first = index % 2 == 0
        for step in (
            (add_api, add_sql, issue_api, issue_sql)
            if api_first
            else (add_sql, add_api, issue_sql, issue_api)
        ):
            step(index)
    for name in ("add", "issue_many", "issue_single"):
        results[name] = combined_wrk(rounds[name])
    sql["add"] = combined_pgbench(rounds["sql_add"])
    sql["counter"] = combined_pgbench(rounds["sql_counter"])
    for name in ("small", "huge"):  # one connection: the cost of one add, 10 vs 10,000 lines
        results[f"add_{name}"] = wrk(
            "add_line.lua",
            port,
            1,
            max(seconds // 2, 3),
            {**base, "BILLFOLD_BENCH_IDS": ids_file([made[name]])},
            watched,
        )
    results["get"] = wrk(
        "get_invoice.lua", port, 4, seconds, {**base, "BILLFOLD_BENCH_INVOICE": made["large"]}, watched
    )
    bulk_env = {**base, "BILLFOLD_BENCH_CUSTOMER": made["customer"], "BILLFOLD_BENCH_LINES": "1000"}
    results["bulk"] = wrk("bulk_create.lua", port, 4, seconds, bulk_env, watched)
    results["large"] = made["large"]
    return results, sql


def measure_sql(database: str, seconds: int, large: str) -> dict[str, Any]:
    """The bulk inserts' SQL counterparts, once the server has stopped (the second writes into
    Billfold's own ``line_items``)."""
    bulk = bulk_sql(1000)
    own = own_table_sql(1000, *asyncio.run(a_line_of(database, large)))
    try:
        return {"bulk": pgbench(database, bulk, 4, seconds), "bulk_own": pgbench(database, own, 4, seconds)}
    finally:
        bulk.unlink()
        own.unlink()


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def report(api: dict[str, Any], sql: dict[str, Any], args: argparse.Namespace) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    add, get, bulk = api["add"], api["get"], api["bulk"]

    def each(run: dict[str, Any], counterpart: dict[str, Any]) -> str:
        """The rounds' own ratios, in the order they ran."""
        pairs = zip(run["rounds"], counterpart["rounds"], strict=True)
        return ", ".join(f"{mine / theirs:.2f}" for mine, theirs in pairs)

    def issue_row(name: str, label: str) -> str:
        run = api[f"issue_{name}"]
        rate = run["issued"] / run["seconds"]
        return (
            f"| issue, {label} ({run['issued']} invoices in {len(run['rounds'])} rounds, "
            f"{run['refused']} refused), 16 conn. "
            f"| {rate:.0f} invoices/s, p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms "
            f"| {run['load']} | counter.sql, 16 clients: {sql['counter']['tps']:.0f} tps "
            f"| **{rate / sql['counter']['tps']:.3f}** ({each(run, sql['counter'])}) "
            "| ≥ 0.25 |"
        )

    bulk_lines = bulk["rps"] * 1000
    sql_lines = sql["bulk"]["tps"] * 1000
    own_lines = sql["bulk_own"]["tps"] * 1000
    rows = [
        f"### API vs pgbench on PostgreSQL — {when}",
        "",
        f"Machine: {machine()}. Server: `billfold serve`, {args.workers} workers; load: wrk (2 threads); "
        f"pgbench on the same server in the same run: the add and the issues in {args.rounds} rounds, each "
        "round's API run and pgbench run back to back (which goes first alternating), each figure the "
        "rounds' together and, in brackets, each round's own ratio. Load average (1, 5, 15 min) when each "
        "figure was taken (the last round's).",
        "",
        "| measure | Billfold | load | SQL counterpart (same run) | ratio | goal |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| add line, 16 conn. ({add['requests']} requests in {len(add['rounds'])} rounds, "
        f"{add['status_errors']} non-2xx) "
        f"| {add['rps']:.0f} req/s, p50 {add['p50_ms']:.1f} ms, p99 {add['p99_ms']:.1f} ms | {add['load']} "
        f"| add_line.sql, 16 clients: {sql['add']['tps']:.0f} tps | **{add['rps'] / sql['add']['tps']:.3f}** "
        f"({each(add, sql['add'])}) | ≥ 0.25 |",
        issue_row("many", f"{args.invoices} customers (month-end)"),
        issue_row("single", "one customer"),
        f"| create 1,000-line invoices, 4 conn. ({bulk['requests']} requests, "
        f"{bulk['status_errors']} non-2xx) "
        f"| {bulk_lines:,.0f} lines/s, p50 {bulk['p50_ms']:.0f} ms | {bulk['load']} "
        f"| 1,000-row INSERT, 4 clients: {sql_lines:,.0f} lines/s | **{bulk_lines / sql_lines:.2f}** "
        "| ≥ 20,000 lines/s |",
        f"| (the same 1,000 rows into Billfold's own `line_items`: its foreign keys, indexes and answer "
        f"trigger, 4 clients) | | {sql['bulk_own']['load']} "
        f"| {own_lines:,.0f} lines/s | **{bulk_lines / own_lines:.2f}** | |",
        f"| GET a 1,000-line invoice, 4 conn. ({get['requests']} requests) "
        f"| p50 {get['p50_ms']:.1f} ms, p90 {get['p90_ms']:.1f} ms, p99 {get['p99_ms']:.1f} ms "
        f"| {get['load']} "
        "| | | p50 < 30 ms |",
        f"| add a line to a 10-line / a 10,000-line invoice, 1 conn. "
        f"| p50 {api['add_small']['p50_ms']:.1f} ms"
        f" / {api['add_huge']['p50_ms']:.1f} ms | {api['add_huge']['load']} | | "
        f"**{api['add_huge']['p50_ms'] / api['add_small']['p50_ms']:.2f}x** | at most 1.5x |",
        f"| (pgbench loads) | | | add {sql['add']['load']}; counter {sql['counter']['load']}; "
        f"bulk {sql['bulk']['load']} | | |",
        "",
        *cpu_table(api, sql),
    ]
    return "\n".join(rows) + "\n"


def cpu_table(api: dict[str, Any], sql: dict[str, Any]) -> list[str]:
    """Where each operation's CPU went (ms per operation, from ``/proc``), and the ratio Billfold would
    reach if its own processes cost nothing: the SQL counterpart's backends and pgbench over Billfold's
    backends and wrk, all on the same cores."""
    rows = [
        "CPU per operation (ms; a bulk operation is one 1,000-line request): Billfold's server processes, "
        "the PostgreSQL backends serving the run, PostgreSQL's other processes (checkpointer, WAL writer, "
        "autovacuum) and the load generator, against the SQL counterpart's. *Ceiling*: the ratio Billfold "
        "would reach if its own processes cost nothing (the counterpart's backends and pgbench over "
        "Billfold's backends and wrk).",
        "",
        "| operation | server | backends | other | wrk | SQL: backends | other | pgbench | ceiling |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    pairs = [
        ("add line", "add", "add"),
        ("issue, month-end", "issue_many", "counter"),
        ("issue, one customer", "issue_single", "counter"),
        ("create 1,000 lines (SQL: into `line_items`)", "bulk", "bulk_own"),
        ("GET a 1,000-line invoice", "get", None),
    ]
    for label, run, counterpart in pairs:
        mine = api[run]["cpu_ms"]
        cells = f"| {label} | {mine['server']:.2f} | {mine['postgres']:.2f} "
        cells += f"| {mine['postgres_background']:.2f} | {mine['client']:.2f} "
        if counterpart is None:
            rows.append(cells + "| | | | |")
            continue
        theirs = sql[counterpart]["cpu_ms"]
        floor = mine["postgres"] + mine["client"]
        ceiling = f"{(theirs['postgres'] + theirs['client']) / floor:.2f}" if floor > 0 else "n/a"
        rows.append(
            cells + f"| {theirs['postgres']:.2f} | {theirs['postgres_background']:.2f} "
            f"| {theirs['client']:.2f} | {ceiling} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10, help="length of each timed wrk and pgbench run")
    parser.add_argument(
        "--invoices",
        type=int,
        default=1000,
        help="invoices issued in each issue run (1,000: about 1.5 s at 16 connections; with 400, runs of"
        " 0.6-0.9 s, one slow start moved a round's ratio by a quarter)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the add's and the issues' runs against pgbench's"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--record", action="store_true", help="append the table to docs/benchmarks.md")
    args = parser.parse_args()

    database = f"billfold_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{database}"'))
    port = free_port()
    process = None
    try:
        process, key = start_server(database, port, args.workers)
        api, sql = measure(args, key, port, (process.pid, database))
        print(json.dumps(api), file=sys.stderr)  # kept if the SQL half fails
        process.terminate()
        process.wait(timeout=30)
        process = None
        # read once the server's connections are closed: a backend reports its counters as it exits
        for name, scans, per_scan in asyncio.run(index_reads(database)):
            print(f"index {name}: {scans} scans, {per_scan} entries read per scan", file=sys.stderr)
        sql.update(measure_sql(database, args.seconds, api["large"]))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    table = report(api, sql, args)
    print(table)
    if args.record:
        with (ROOT / "docs" / "benchmarks.md").open("a") as handle:
            handle.write("\n" + table)


if __name__ == "__main__":
    main()
