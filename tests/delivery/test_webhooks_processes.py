"""Webhooks with real processes on PostgreSQL: ``billfold serve`` (delivering, embedded) and ``billfold
worker`` SIGKILLed under a load of issues and payments, then restarted: every committed event arrives
at least once and nothing arrives for a change that rolled back. Two ``billfold worker`` processes
deliver each event once between them."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from billfold.db.migrate import upgrade
from conftest import _asyncpg_dsn, _postgres_database
from server_support import BILLFOLD, STARTUP_SECONDS, new_key, serving
from webhook_receiver import Received, Receiver, receiving

pytestmark = pytest.mark.slow


@pytest.fixture
def postgres_url() -> Iterator[str]:
    for url in _postgres_database():
        upgrade(url)
        yield url


def _env(url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "BILLFOLD_DATABASE_URL": url,
        "BILLFOLD_WEBHOOK_ALLOW_PRIVATE": "true",
        "BILLFOLD_WEBHOOK_TIMEOUT": "2s",
        "BILLFOLD_WEBHOOK_RETRY_SCHEDULE": ",".join(["200ms"] * 30),
        "BILLFOLD_WEBHOOK_POLL_INTERVAL": "50ms",
        **extra,
    }


@contextmanager
def working(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Run ``billfold worker`` until the block ends (SIGTERM, then it finishes what is in flight)."""
    log = log_path.open("w")
    process = subprocess.Popen(
        [*BILLFOLD, "worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        # SIGTERM before the worker has started (still importing) would just kill it: wait until it runs
        deadline = time.monotonic() + STARTUP_SECONDS
        while "delivering webhooks" not in log_path.read_text() and process.poll() is None:
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.05)
        yield process
        if process.poll() is None:
            # SIGTERM: the worker finishes what is in flight and exits cleanly
            os.killpg(process.pid, signal.SIGTERM)
            assert process.wait(timeout=30) == 0
            assert "worker stopped" in log_path.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        log.close()


def _kill(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


async def _query(url: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


def _committed_event_ids(url: str) -> set[str]:
    rows = asyncio.run(_query(url, "SELECT id FROM invoice_events"))
    return {str(row["id"]) for row in rows}


def _received_ids(receiver: Receiver) -> set[str]:
    with receiver.lock:
        return {r.webhook_id for r in receiver.accepted}


def _setup(base: str, key: str, receiver: Receiver, invoices: int) -> list[str]:
    with httpx.Client(base_url=base, headers={"X-API-KEY": key}, timeout=30) as client:
        created = client.post("/v1/webhook-endpoints", json={"url": receiver.url})
        assert created.status_code == 201, created.text
        customer = client.post("/v1/customers", json={"name": "Load", "currency": "USD"}).json()["id"]
        ids = []
        for _ in range(invoices):
            invoice = client.post("/v1/invoices", json={"customerId": customer}).json()["id"]
            line = {"name": "Work", "quantity": "1", "unitPrice": "10.00"}
            assert client.post(f"/v1/invoices/{invoice}/line-items", json=line).status_code == 201
            ids.append(invoice)
        return ids


def _issue_and_pay(base: str, key: str, invoices: list[str], stop: threading.Event, seed: int) -> None:
    """Issue invoices and pay them in two parts, until told to stop (errors once killed are expected)."""
    chooser = random.Random(seed)
    with httpx.Client(base_url=base, headers={"X-API-KEY": key}, timeout=10) as client:
        while not stop.is_set():
            invoice = chooser.choice(invoices)
            try:
                client.post(f"/v1/invoices/{invoice}/issue", json={})
                client.post(f"/v1/invoices/{invoice}/payments", json={"amount": "4.00"})
                client.post(f"/v1/invoices/{invoice}/payments", json={"amount": "6.00"})
            except httpx.HTTPError:
                time.sleep(0.01)


def _wait(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def test_killed_server_and_worker_lose_no_event(postgres_url: str, tmp_path: Path) -> None:
    env = _env(postgres_url)
    key = new_key(env, "Webhook crash test")
    with receiving(lambda _n, _r: (200, random.random() * 0.01)) as receiver:
        # the worker starts first, so both boot at once
        with working(env, tmp_path / "worker-1.log") as worker, serving(env, tmp_path / "first") as server:
            invoices = _setup(server.base, key, receiver, 20)
            stop = threading.Event()
            threads = [
                threading.Thread(target=_issue_and_pay, args=(server.base, key, invoices, stop, seed))
                for seed in range(4)
            ]
            for thread in threads:
                thread.start()
            time.sleep(2.5)
            server.kill()
            _kill(worker)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
        committed = _committed_event_ids(postgres_url)
        # nothing was delivered that the database does not hold (a rolled-back change sends nothing)
        assert _received_ids(receiver) <= committed
        # the events are in the database: a restarted worker alone delivers them (a restarted server
        # would too; starting one costs this test half a minute on a busy machine)
        with working(env, tmp_path / "worker-2.log"):
            _wait(lambda: committed <= _received_ids(receiver), 40, "delivery of every committed event")
        assert _received_ids(receiver) <= _committed_event_ids(postgres_url)
    kinds = {r.json["type"] for r in receiver.accepted}
    assert {"invoice.issued", "invoice.payment_recorded", "invoice.paid"} <= kinds


def test_two_workers_deliver_each_event_once(postgres_url: str, tmp_path: Path) -> None:
    env = _env(postgres_url, BILLFOLD_EMBEDDED_WORKER="false")
    key = new_key(env, "Two workers")
    # the two workers are the webhook workers below; one API worker makes the events
    with receiving() as receiver, serving(env, tmp_path / "serve", workers=1) as server:
        invoices = _setup(server.base, key, receiver, 12)
        with httpx.Client(base_url=server.base, headers={"X-API-KEY": key}, timeout=30) as client:
            for invoice in invoices:
                assert client.post(f"/v1/invoices/{invoice}/issue", json={}).status_code == 200
                paid = client.post(f"/v1/invoices/{invoice}/payments", json={"amount": "10.00"})
                assert paid.status_code == 201
        committed = _committed_event_ids(postgres_url)
        assert len(committed) == 12 * 5
        with working(env, tmp_path / "w1.log"), working(env, tmp_path / "w2.log"):
            _wait(lambda: committed <= _received_ids(receiver), 40, "delivery of every event")
    ids = [r.webhook_id for r in receiver.requests]
    assert len(ids) == len(set(ids)) == len(committed)
    rows = asyncio.run(
        _query(postgres_url, "SELECT delivery_id, count(*) AS n FROM webhook_attempts GROUP BY delivery_id")
    )
    assert len(rows) == len(committed)
    errors = asyncio.run(_query(postgres_url, "SELECT status_code, error, lease_owner FROM webhook_attempts"))
    assert {row["n"] for row in rows} == {1}, [dict(e) for e in errors if e["status_code"] != 200][:5]


def test_a_new_user_receives_issued_paid_in_order_and_what_was_missed(
    postgres_url: str, tmp_path: Path
) -> None:
    """The issue's "done when": ``billfold serve`` alone, a local endpoint, an invoice issued and paid;
    the receiver stopped for a while gets what it missed once it is back."""
    env = _env(postgres_url)
    key = new_key(env, "New user")
    with serving(env, tmp_path / "serve") as server:
        client = httpx.Client(base_url=server.base, headers={"X-API-KEY": key}, timeout=30)
        with client, receiving() as receiver:
            endpoint = client.post("/v1/webhook-endpoints", json={"url": receiver.url}).json()
            customer = client.post("/v1/customers", json={"name": "Acme", "currency": "USD"}).json()["id"]

            def invoice_paid() -> str:
                invoice = client.post("/v1/invoices", json={"customerId": customer}).json()["id"]
                line = {"name": "Work", "quantity": "1", "unitPrice": "10.00"}
                client.post(f"/v1/invoices/{invoice}/line-items", json=line)
                assert client.post(f"/v1/invoices/{invoice}/issue", json={}).status_code == 200
                client.post(f"/v1/invoices/{invoice}/payments", json={"amount": "4.00"})
                client.post(f"/v1/invoices/{invoice}/payments", json={"amount": "6.00"})
                return invoice

            first = invoice_paid()
            _wait(lambda: len(_about(receiver, first)) >= 6, 30, "the first invoice's events")
            port = receiver.port
        assert [r.json["type"] for r in _about(receiver, first)][2:] == [
            "invoice.issued",
            "invoice.payment_recorded",
            "invoice.payment_recorded",
            "invoice.paid",
        ]
        for request in _about(receiver, first):
            assert Webhook(endpoint["secret"]).verify(request.body, request.headers)
        # the receiver is down: the next invoice's events wait and are retried
        with httpx.Client(base_url=server.base, headers={"X-API-KEY": key}, timeout=30) as client:
            second = client.post("/v1/invoices", json={"customerId": customer}).json()["id"]
            assert client.post(f"/v1/invoices/{second}/cancel", json={}).status_code == 200
        time.sleep(1)
        with receiving(port=port) as back:
            _wait(lambda: len(_about(back, second)) >= 2, 30, "the missed events")
            assert [r.json["type"] for r in _about(back, second)] == ["invoice.created", "invoice.canceled"]


def _about(receiver: Receiver, invoice_id: str) -> list[Received]:
    with receiver.lock:
        return [r for r in receiver.accepted if r.json["data"].get("id") == invoice_id]
