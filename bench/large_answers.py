"""What a large answer costs the server, page faults included: ``uv run python bench/large_answers.py``.

As ``bench/add_line_cost.py`` does for adds, starts ``billfold serve`` with one worker on a fresh
PostgreSQL database, then over one keep-alive connection sends ``--gets`` ``GET`` of a 1,000-line
invoice and ``--creates`` bulk creates of 1,000 lines (the body of ``bench/wrk/bulk_create.lua``), and
prints, per request, the server process's CPU time and its minor page faults (``/proc/PID/stat``), and
its resident size at the end. ``MALLOC_TRIM_THRESHOLD_=131072`` (glibc's default, which the server then
leaves alone: ``src/billfold/web/allocator.py``) shows what the served process's allocator settings save.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from add_line_cost import CostServer, cost_server

LINES = [
    {"name": f"Item {i % 50}", "quantity": str(i % 7 + 1), "unitPrice": "12.345"} for i in range(1, 1001)
]


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def faults(pid: int) -> int:
    return int(_stat(pid)[7])  # minflt, the tenth field (the list starts at the third)


def resident_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * 4096 / 1e6


def measured(server: CostServer, label: str, count: int, work: Any) -> dict[str, Any]:
    before = faults(server.pid)
    result = server.measure(label, "request", count, work)
    result.pop("statements")
    result["page_faults_per_request"] = round((faults(server.pid) - before) / count, 1)
    result["resident_mb"] = round(resident_mb(server.pid), 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gets", type=int, default=400)
    parser.add_argument("--creates", type=int, default=100)
    args = parser.parse_args()
    with cost_server() as server:
        client = server.client
        customer = client.post("/v1/customers", {"name": "Large"})["id"]
        body = {"customerId": customer, "lineItems": LINES}
        invoice = client.post("/v1/invoices", body, "large-invoice")["id"]
        for index in range(5):  # warm-up: statement caches, products made by name
            client.post("/v1/invoices", body, f"warm-{index}")
        server.analyze()
        connection = client.connection

        def get(_index: int) -> None:
            connection.request("GET", f"/v1/invoices/{invoice}", headers={"X-API-KEY": client.key})
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                raise SystemExit(f"GET: {answer.status}")

        for index in range(20):
            get(index)
        results = [
            measured(server, "get-1000-lines", args.gets, get),
            measured(
                server,
                "create-1000-lines",
                args.creates,
                lambda index: client.post("/v1/invoices", body, f"create-{index}"),
            ),
        ]
    for result in results:
        print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
