"""Crash safety: SIGKILL the server in the middle of a write load, restart it, and check the books.

After the restart every invoice's stored totals must equal a fresh recalculation from its lines (the
running sums never drift from the lines, because both change in one transaction), and the issued
numbers must be unique and gapless (the counter advances in the issuing transaction).
"""

from __future__ import annotations

import os
import random
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx

from server_support import new_key, serving

WRITERS = 6


def _load(base: str, key: str, invoices: list[str], stop: threading.Event, seed: int) -> None:
    """Add lines and issue invoices until the server dies (errors then are expected and ignored)."""
    chooser = random.Random(seed)
    with httpx.Client(base_url=base, headers={"X-API-KEY": key}, timeout=10) as client:
        while not stop.is_set():
            invoice = chooser.choice(invoices)
            try:
                if chooser.random() < 0.08:
                    client.post(f"/v1/invoices/{invoice}/issue", json={"issueDate": "2026-06-01"})
                else:
                    body = {"name": f"L{chooser.randrange(5)}", "quantity": str(chooser.randrange(1, 9))}
                    client.post(f"/v1/invoices/{invoice}/line-items", json={**body, "unitPrice": "0.335"})
            except httpx.HTTPError:
                time.sleep(0.01)


def _check_books(client: httpx.Client, invoice_ids: list[str]) -> list[str]:
    numbers = []
    for invoice_id in invoice_ids:
        invoice = client.get(f"/v1/invoices/{invoice_id}").json()
        lines = invoice["standaloneLineItems"] + [
            line for group in invoice["lineItemGroups"] for line in group["lineItems"]
        ]
        for field in ("subtotalAmount", "netAmount", "totalAmount"):
            assert Decimal(invoice[field]) == sum((Decimal(line[field]) for line in lines), Decimal(0)), (
                invoice_id,
                field,
            )
        assert sorted(line["index"] for line in lines) == list(range(len(lines)))
        if invoice["invoiceNumber"] is not None:
            numbers.append(invoice["invoiceNumber"])
    return numbers


def test_sigkill_under_load_leaves_consistent_books(database_url: str, tmp_path: Path) -> None:
    # the session's database: this server must not deliver or schedule for other tests' organizations
    env = {**os.environ, "BILLFOLD_DATABASE_URL": database_url, "BILLFOLD_EMBEDDED_WORKER": "false"}
    key = new_key(env, f"Crash test {time.monotonic_ns()}")
    with serving(env, tmp_path / "first") as server:
        with httpx.Client(base_url=server.base, headers={"X-API-KEY": key}, timeout=30) as client:
            customer = client.post("/v1/customers", json={"name": "Crash"}).json()["id"]
            invoices = [
                client.post("/v1/invoices", json={"customerId": customer}).json()["id"] for _ in range(40)
            ]
        stop = threading.Event()
        threads = [
            threading.Thread(target=_load, args=(server.base, key, invoices, stop, seed))
            for seed in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(2.5)
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    with (
        serving(env, tmp_path / "second", workers=1) as server,  # the restart only reads the books
        httpx.Client(base_url=server.base, headers={"X-API-KEY": key}, timeout=30) as client,
    ):
        numbers = _check_books(client, invoices)
        # the load issued some invoices before the kill: their numbers are 1..N, each once
        assert numbers, "the load issued no invoice before the kill"
        assert sorted(numbers) == [f"INV-2026-{n:06d}" for n in range(1, len(numbers) + 1)]
        # and the restarted server goes on from where the sequence stopped
        draft = next(i for i in invoices if client.get(f"/v1/invoices/{i}").json()["status"] == "draft")
        issued = client.post(f"/v1/invoices/{draft}/issue", json={"issueDate": "2026-06-01"}).json()
        assert issued["invoiceNumber"] == f"INV-2026-{len(numbers) + 1:06d}"
