"""What one issue costs the server, in figures that do not depend on the machine's load.

``uv run python bench/issue_cost.py [--invoices 500]``: as ``bench/add_line_cost.py`` does for adds,
starts ``billfold serve`` with one worker (no embedded webhook worker) on a fresh PostgreSQL database
with ``log_statement = all`` for that database only, makes ``--invoices`` one-line invoices of one
customer (in bulk, one request each), then issues them one at a time over one keep-alive connection (a
plain ``http.client``), and prints the server process's CPU time per issue and the statements
PostgreSQL received per issue (``BEGIN`` and ``COMMIT`` included), by their first words. A second
customer with credit in the invoices' currency shows what issuing costs when credit is applied; a
month-end run issues invoices of as many customers, each its own (between two runs of the first
customer's, to compare with both).
``--profile FILE``: py-spy's collapsed stacks of the issues without credit (as ``add_line_cost.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from add_line_cost import CostServer, cost_server, sampled

LINE = {"name": "Item", "quantity": "3", "unitPrice": "12.345"}


def run_issues(
    server: CostServer, customer: str | None, count: int, label: str, profile: str | None = None
) -> dict[str, Any]:
    """``count`` issues of invoices of ``customer``, or (``None``) each of its own customer (a month-end
    run)."""
    client = server.client
    customers = [
        customer or client.post("/v1/customers", {"name": f"Month-end {index}"})["id"]
        for index in range(count + 20)
    ]
    invoices = [
        client.post("/v1/invoices", {"customerId": owner, "lineItems": [LINE]})["id"] for owner in customers
    ]
    for invoice in invoices[:20]:  # warm-up: statement caches, first-use imports
        client.post(f"/v1/invoices/{invoice}/issue", {}, expect=200)
    server.analyze()
    todo = invoices[20:]
    with sampled(server.pid, profile):
        return server.measure(
            label,
            "issue",
            count,
            lambda index: client.post(f"/v1/invoices/{todo[index]}/issue", {}, expect=200),
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--invoices", type=int, default=500, help="issues of each kind")
    parser.add_argument("--profile", metavar="FILE", help="py-spy's collapsed stacks of the plain issues")
    args = parser.parse_args()
    with cost_server() as server:
        client = server.client
        plain = client.post("/v1/customers", {"name": "No credit", "currency": "USD"})["id"]
        credited = client.post("/v1/customers", {"name": "With credit", "currency": "USD"})["id"]
        client.post(f"/v1/customers/{credited}/credits", {"amount": "1000000", "currency": "USD"})
        results = [
            run_issues(server, plain, args.invoices, "issue", args.profile),
            run_issues(server, None, args.invoices, "issue-month-end"),
            run_issues(server, plain, args.invoices, "issue-again"),
            run_issues(server, credited, args.invoices, "issue-with-credit"),
        ]
    for result in results:
        print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
