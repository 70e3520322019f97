"""Two trees side by side on one host: what a change saves per operation, whatever the host does meanwhile.

``uv run python bench/ab.py --base REV {add,group,issue} [--ops N]``: checks ``REV`` out in a temporary
git worktree, starts ``billfold serve`` (one worker, no embedded webhook worker) from it and from this
tree, each on its own fresh PostgreSQL database, and sends the same operations to both over one plain
``http.client`` connection each (the client costs the servers nothing), in alternating chunks of 50:
``add`` a line to a draft, ``group``: add a line into a group, ``issue`` an invoice of one line (one
customer). For each tree it prints the server process's CPU time per operation and that of the
PostgreSQL backends serving its database (``/proc``), and this tree's figures over the base's.

``--wrk SECONDS`` (``add``, ``bulk``): under load instead, as ``make bench`` measures them: each
tree's server runs two workers, and ``wrk`` adds lines at 16 connections to 16 drafts of each
(``bulk``: creates 1,000-line invoices at 4 connections, ``bench/wrk/bulk_create.lua``), SECONDS at a
time, the two trees taking turns (``--rounds``, default 4); the figures are CPU per operation of each
tree's server and backends over all its turns, and its operations per second (the trees' order
alternates from turn to turn; ``--random``: each add's draft picked at random, as pgbench's script
picks its invoice, instead of in turn). What a change does to row locks, row versions and races
between concurrent adds shows only so.

On a shared machine the host's speed moves by a third within minutes (``docs/benchmarks.md``): a figure
measured now and one measured an hour ago do not compare, while two trees measured in the same minutes
do. The worktree and the databases are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from add_line_cost import Client, cpu_seconds
from run import ADMIN_URL, ROOT, admin, free_port, ids_file, start_server, wrk

CHUNK = 50
BULK_LINES = 1000
LINE = {"name": "Item", "quantity": "3", "unitPrice": "12.345"}


@dataclass
class Side:
    name: str
    database: str
    process: subprocess.Popen[str]
    client: Client
    customer: str
    invoice: str
    body: dict[str, Any]
    port: int = 0
    key: str = ""
    queue: list[str] = field(default_factory=list)  # invoices to issue
    server_cpu: float = 0.0
    backend_cpu: float = 0.0
    operations: int = 0


def start(name: str, source: Path, kind: str, workers: int = 1) -> Side:
    database = f"billfold_ab_{name}_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{database}"'))
    port = free_port()
    os.environ["PYTHONPATH"] = str(source)  # ahead of the installed (editable) package
    try:
        process, key = start_server(database, port, workers)
    finally:
        del os.environ["PYTHONPATH"]
    client = Client(port, key)
    customer = client.post("/v1/customers", {"name": "A/B"})["id"]
    invoice = client.post("/v1/invoices", {"customerId": customer})["id"]
    body = dict(LINE)
    if kind == "group":
        body["lineItemGroupId"] = client.post(f"/v1/invoices/{invoice}/line-item-groups", {"name": "G"})["id"]
    return Side(name, database, process, client, customer, invoice, body, port, key)


def drafts(side: Side, count: int) -> list[str]:
    made = []
    for index in range(count):
        invoice = side.client.post("/v1/invoices", {"customerId": side.customer})["id"]
        side.client.post(f"/v1/invoices/{invoice}/line-items", LINE, f"draft-{index}")
        made.append(invoice)
    return made


def operate(side: Side, kind: str, index: str) -> None:
    key = f"{side.database}-{index}"
    if kind == "issue":
        side.client.post(f"/v1/invoices/{side.queue.pop()}/issue", {}, key, expect=200)
    else:
        side.client.post(f"/v1/invoices/{side.invoice}/line-items", side.body, key)


async def backend_cpu(connection: asyncpg.Connection, database: str) -> float:
    pids = await connection.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'", database
    )
    total = 0.0
    for row in pids:
        with contextlib.suppress(FileNotFoundError):  # a backend that ended meanwhile
            total += cpu_seconds(row["pid"])
    return total


def under_load(sides: list[Side], kind: str, seconds: int, rounds: int, random: bool) -> None:
    """``--wrk``: the two trees' servers take turns under wrk's adds (or bulk creates); CPU per
    operation over all turns."""
    script, connections = ("bulk_create.lua", 4) if kind == "bulk" else ("add_line.lua", 16)
    environments = []
    for side in sides:
        side.client.connection.close()  # a connection left idle while the other tree started is closed
        made = []
        for _ in range(16 if kind == "add" else 0):
            made.append(side.client.post("/v1/invoices", {"customerId": side.customer})["id"])
        side.client.connection.close()
        asyncio.run(admin("VACUUM (ANALYZE)", side.database))
        environments.append(
            {
                "BILLFOLD_BENCH_KEY": side.key,
                "BILLFOLD_BENCH_IDS": ids_file(made),
                "BILLFOLD_BENCH_PICK": "random" if random else "turn",
                "BILLFOLD_BENCH_CUSTOMER": side.customer,
                "BILLFOLD_BENCH_LINES": str(BULK_LINES),
            }
        )
        wrk(script, side.port, connections, 2, environments[-1])  # warm-up
    totals = {side.name: {"requests": 0, "seconds": 0.0, "server": 0.0, "postgres": 0.0} for side in sides}
    turns = list(zip(sides, environments, strict=True))
    for round_ in range(rounds):
        # the order turns round by round: a tree measured second ran ~5 % faster in an A/A comparison
        for side, environment in turns if round_ % 2 == 0 else turns[::-1]:
            watched = (side.process.pid, side.database)
            run = wrk(script, side.port, connections, seconds, environment, watched)
            if run["status_errors"] or run["socket_errors"]:
                raise SystemExit(f"{side.name}: {run['status_errors']} error answers")
            total = totals[side.name]
            total["requests"] += run["requests"]
            total["seconds"] += run["seconds"]
            for party in ("server", "postgres"):
                total[party] += run["cpu_ms"][party] * run["requests"]
    figures = {}
    for name, total in totals.items():
        rate = total["requests"] / total["seconds"]
        server, backends = total["server"] / total["requests"], total["postgres"] / total["requests"]
        figures[name] = (rate, server, backends)
        print(
            f"{name}: {kind} under wrk, {total['requests']} requests: {rate:.1f}/s,"
            f" server {server:.3f} ms, backends {backends:.3f} ms"
        )
    (rate0, server0, backends0), (rate, server, backends) = figures["base"], figures["this"]
    print(
        f"this / base: rate {rate / rate0:.2f}, server {server / server0:.2f},"
        f" backends {backends / backends0:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", required=True, help="the git revision to compare this tree with")
    parser.add_argument("kind", choices=["add", "group", "issue", "bulk"])
    parser.add_argument("--ops", type=int, default=2000, help="operations on each tree")
    parser.add_argument("--wrk", type=int, metavar="SECONDS", help="under load: wrk turns of SECONDS")
    parser.add_argument("--rounds", type=int, default=4, help="turns of each tree under --wrk")
    parser.add_argument("--random", action="store_true", help="under --wrk: drafts picked at random")
    args = parser.parse_args()
    if args.wrk and args.kind not in ("add", "bulk"):
        parser.error("--wrk measures adds (add) and bulk creates (bulk)")
    if args.kind == "bulk" and not args.wrk:
        parser.error("bulk is measured under load: give --wrk SECONDS")
    os.environ["BILLFOLD_EMBEDDED_WORKER"] = "false"
    worktree = Path(tempfile.mkdtemp(prefix="billfold-ab-")) / "base"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(worktree), args.base], check=True
    )
    sides: list[Side] = []
    try:
        workers = 2 if args.wrk else 1
        sides = [
            start(name, source, args.kind, workers)
            for name, source in (("base", worktree / "src"), ("this", ROOT / "src"))
        ]
        if args.wrk:
            under_load(sides, args.kind, args.wrk, args.rounds, args.random)
            return
        loop = asyncio.new_event_loop()
        connection = loop.run_until_complete(asyncpg.connect(ADMIN_URL))
        for side in sides:  # warm-up: statement caches, first-use imports
            side.client.connection.close()  # a connection left idle is closed by the server
            if args.kind == "issue":
                side.queue = drafts(side, args.ops + CHUNK)
            for index in range(CHUNK):
                operate(side, args.kind, f"warm-{index}")
            # the planner's statistics, as autovacuum keeps them on a server that runs it (this machine's
            # PostgreSQL has it off): plans made for empty tables would scan what grows during the run
            asyncio.run(admin("VACUUM (ANALYZE)", side.database))
        done = 0
        while done < args.ops:
            for side in sides:
                side.client.connection.close()
                server, backends = (
                    cpu_seconds(side.process.pid),
                    loop.run_until_complete(backend_cpu(connection, side.database)),
                )
                for index in range(CHUNK):
                    operate(side, args.kind, str(done + index))
                side.server_cpu += cpu_seconds(side.process.pid) - server
                side.backend_cpu += loop.run_until_complete(backend_cpu(connection, side.database)) - backends
                side.operations += CHUNK
            done += CHUNK
        loop.run_until_complete(connection.close())
        loop.close()
        figures = {}
        for side in sides:
            server = side.server_cpu / side.operations * 1000
            backends = side.backend_cpu / side.operations * 1000
            figures[side.name] = (server, backends)
            print(
                f"{side.name}: {args.kind}, {side.operations} operations:"
                f" server {server:.3f} ms, backends {backends:.3f} ms"
            )
        (base_server, base_backends), (server, backends) = figures["base"], figures["this"]
        print(f"this / base: server {server / base_server:.2f}, backends {backends / base_backends:.2f}")
    finally:
        for side in sides:
            side.process.terminate()
            side.process.wait(timeout=30)
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{side.database}" WITH (FORCE)'))
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=True)


if __name__ == "__main__":
    main()
