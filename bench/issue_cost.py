"""What one issue costs the server, in figures that do not depend on the machine's load.

``uv run python bench/issue_cost.py [--invoices 500]``: as ``bench/add_line_cost.py`` does for adds,
starts ``billfold serve`` with one worker (no embedded webhook worker) on a fresh PostgreSQL database
with ``log_statement = all`` for that database only, makes ``--invoices`` one-line invoices of one
customer (in bulk, one request each), then issues them one at a time over one keep-alive connection (a
plain ``http.client``), and prints the server process's CPU time per issue and the statements
PostgreSQL received per issue (``BEGIN`` and ``COMMIT`` included), by their first words. A second
customer with credit in the invoices' currency shows what issuing costs when credit is applied.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from add_line_cost import Client, cpu_seconds, log_offset, statements_since
from run import admin, free_port, load, start_server

LINE = {"name": "Item", "quantity": "3", "unitPrice": "12.345"}


def run_issues(
    client: Client, pid: int, database: str, customer: str, count: int, label: str
) -> dict[str, Any]:
    invoices = [
        client.post("/v1/invoices", {"customerId": customer, "lineItems": [LINE]})["id"]
        for _ in range(count + 20)
    ]
    for invoice in invoices[:20]:  # warm-up: statement caches, first-use imports
        client.post(f"/v1/invoices/{invoice}/issue", {}, expect=200)
    offset = log_offset()
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    for invoice in invoices[20:]:
        client.post(f"/v1/invoices/{invoice}/issue", {}, expect=200)
    elapsed = time.perf_counter() - started
    used = cpu_seconds(pid) - cpu
    statements = statements_since(offset, database)
    return {
        "kind": label,
        "issues": count,
        "server_cpu_ms_per_issue": round(1000 * used / count, 3),
        "wall_ms_per_issue": round(1000 * elapsed / count, 3),
        "statements_per_issue": round(sum(statements.values()) / count, 2),
        "statements": {text: round(n / count, 2) for text, n in statements.most_common()},
        "load": load(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--invoices", type=int, default=500, help="issues of each kind")
    args = parser.parse_args()
    database = f"billfold_cost_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{database}"'))
    asyncio.run(admin(f"ALTER DATABASE \"{database}\" SET log_statement = 'all'"))
    os.environ["BILLFOLD_EMBEDDED_WORKER"] = "false"
    port = free_port()
    process = None
    try:
        process, key = start_server(database, port, 1)
        client = Client(port, key)
        plain = client.post("/v1/customers", {"name": "No credit", "currency": "USD"})["id"]
        credited = client.post("/v1/customers", {"name": "With credit", "currency": "USD"})["id"]
        client.post(f"/v1/customers/{credited}/credits", {"amount": "1000000", "currency": "USD"})
        results = [
            run_issues(client, process.pid, database, plain, args.invoices, "issue"),
            run_issues(client, process.pid, database, credited, args.invoices, "issue-with-credit"),
        ]
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    for result in results:
        print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
