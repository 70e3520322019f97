"""What one line add costs the server, in figures that do not depend on the machine's load.

``uv run python bench/add_line_cost.py [--adds 2000]``: starts ``billfold serve`` with one worker (no
embedded webhook worker) on a fresh PostgreSQL database with ``log_statement = all`` set for that
database only, makes two draft invoices (one with a group), then adds lines one at a time over one
keep-alive connection (a plain ``http.client``: the client costs the server nothing), each with its own
``Idempotency-Key``: ``--adds`` standalone lines, then ``--adds`` lines into the group. For each kind it
prints

* the server process's CPU time per add (user + system, from ``/proc/<pid>/stat``), and
* the statements PostgreSQL received per add (``BEGIN`` and ``COMMIT`` included: each is a round
  trip), counted from the server's log lines for this database.

``--profile FILE``: py-spy (``pip install py-spy``) samples the server during the standalone adds and
writes its collapsed stacks to ``FILE`` (one line per stack, its sample count last).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import admin, free_port, load, start_server

POSTGRES_LOG = Path(
    os.environ.get("BILLFOLD_BENCH_POSTGRES_LOG", "/var/log/postgresql/postgresql-15-main.log")
)
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Client:
    def __init__(self, port: int, key: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.key = key

    def post(
        self, path: str, body: dict[str, Any], idempotency_key: str | None = None, *, expect: int = 201
    ) -> dict[str, Any]:
        headers = {"X-API-KEY": self.key, "Content-Type": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        self.connection.request("POST", path, body=json.dumps(body), headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status != expect:
            raise SystemExit(f"{path}: {response.status} {data[:500]!r}")
        answer: dict[str, Any] = json.loads(data)
        return answer


def log_offset() -> int:
    return POSTGRES_LOG.stat().st_size if POSTGRES_LOG.exists() else 0


def statements_since(offset: int, database: str) -> Counter[str]:
    """The statements logged for ``database`` after ``offset``, by their first words."""
    time.sleep(0.5)  # let the server's log catch up
    found: Counter[str] = Counter()
    marker = f"@{database} LOG:  "
    pattern = re.compile(r"(?:statement|execute [^:]*): (.*)")
    with POSTGRES_LOG.open("rb") as handle:
        handle.seek(offset)
        for raw in handle:
            line = raw.decode(errors="replace")
            if marker not in line:
                continue
            match = pattern.search(line.split(marker, 1)[1])
            if match:
                found[" ".join(match.group(1).split()[:4])[:60]] += 1
    return found


@dataclass
class CostServer:
    """A one-worker server on a fresh database whose statements PostgreSQL logs, and a client of it."""

    client: Client
    pid: int
    database: str

    def analyze(self) -> None:
        """The planner's statistics, as autovacuum keeps them on a server that runs it (as ``make bench``
        does; this machine's PostgreSQL has it off): a plan made for empty tables would scan what grows
        while the requests are measured (the idempotency records, seen by a sequential scan)."""
        asyncio.run(admin("VACUUM (ANALYZE)", self.database))

    def measure(self, label: str, unit: str, count: int, work: Callable[[int], object]) -> dict[str, Any]:
        """Run ``work(0..count-1)`` (one request each) and report per ``unit``: the server's CPU time,
        the wall time, and the statements PostgreSQL received, by their first words."""
        offset = log_offset()
        cpu = cpu_seconds(self.pid)
        started = time.perf_counter()
        for index in range(count):
            work(index)
        elapsed = time.perf_counter() - started
        used = cpu_seconds(self.pid) - cpu
        statements = statements_since(offset, self.database)
        return {
            "kind": label,
            f"{unit}s": count,
            f"server_cpu_ms_per_{unit}": round(1000 * used / count, 3),
            f"wall_ms_per_{unit}": round(1000 * elapsed / count, 3),
            f"statements_per_{unit}": round(sum(statements.values()) / count, 2),
            "statements": {text: round(n / count, 2) for text, n in statements.most_common()},
            "load": load(),
        }


@contextmanager
def cost_server() -> Iterator[CostServer]:
    """Start ``billfold serve`` (one worker, no embedded webhook worker) on a fresh PostgreSQL database
    with ``log_statement = all`` for that database only; stop it and drop the database after."""
    database = f"billfold_cost_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{database}"'))
    asyncio.run(admin(f"ALTER DATABASE \"{database}\" SET log_statement = 'all'"))
    os.environ["BILLFOLD_EMBEDDED_WORKER"] = "false"
    port = free_port()
    process = None
    try:
        process, key = start_server(database, port, 1)
        yield CostServer(Client(port, key), process.pid, database)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


@contextmanager
def sampled(pid: int, output: str | None) -> Iterator[None]:
    """py-spy samples ``pid`` (idle time left out) while the block runs, when ``output`` is given."""
    if output is None:
        yield
        return
    spy = subprocess.Popen(
        ["py-spy", "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "--output", output],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)  # py-spy attaches
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)


def run_adds(
    server: CostServer, path: str, body: dict[str, Any], adds: int, label: str, profile: str | None = None
) -> dict[str, Any]:
    for index in range(50):  # warm-up: statement caches, first-use imports
        server.client.post(path, body, f"warm-{label}-{index}")
    server.analyze()
    with sampled(server.pid, profile):
        return server.measure(
            label, "add", adds, lambda index: server.client.post(path, body, f"{label}-{index}")
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--adds", type=int, default=2000, help="adds of each kind (standalone, in a group)")
    parser.add_argument("--profile", metavar="FILE", help="py-spy's collapsed stacks of the standalone adds")
    args = parser.parse_args()
    with cost_server() as server:
        client = server.client
        customer = client.post("/v1/customers", {"name": "Cost"})["id"]
        plain = client.post("/v1/invoices", {"customerId": customer})["id"]
        grouped = client.post("/v1/invoices", {"customerId": customer})["id"]
        group = client.post(f"/v1/invoices/{grouped}/line-item-groups", {"name": "Group"})["id"]
        line = {"name": "Item", "quantity": "3", "unitPrice": "12.345"}
        results = [
            run_adds(server, f"/v1/invoices/{plain}/line-items", line, args.adds, "line", args.profile),
            run_adds(
                server,
                f"/v1/invoices/{grouped}/line-items",
                {**line, "lineItemGroupId": group},
                args.adds,
                "group-line",
            ),
        ]
    for result in results:
        print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
