"""The ``billfold`` command end to end: serve (with its first organization), migrate and api-keys.

The server runs as a real process with two workers, and many clients write at once: SQLite must make
writers wait (WAL, BEGIN IMMEDIATE, busy timeout), never answer 500.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from server_support import run_cli as _run
from server_support import serving


@pytest.fixture
def fresh_sqlite(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BILLFOLD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str | None, dict[str, str]]]:
    """``billfold serve`` with two workers on each backend."""
    env = {**os.environ, "BILLFOLD_DATABASE_URL": database_url}
    with serving(env, tmp_path) as running:
        yield running.base, running.key, running.env


def test_serve_on_a_fresh_database_prints_the_first_key_once(
    fresh_sqlite: dict[str, str], tmp_path: Path
) -> None:
    with serving(fresh_sqlite, tmp_path) as first:
        base, key = first.base, first.key
        assert key is not None
        assert httpx.get(f"{base}/v1/customers", headers={"X-API-KEY": key}).status_code == 200
        assert httpx.get(f"{base}/v1/customers", headers={"X-API-KEY": "bf_wrong"}).status_code == 401
    with serving(fresh_sqlite, tmp_path / "again") as second:
        assert second.key is None


def test_api_keys_create_prints_the_key_on_its_last_line(fresh_sqlite: dict[str, str]) -> None:
    assert "migrations applied" in _run(["migrate"], fresh_sqlite).stdout
    created = _run(["api-keys", "create", "--organization", "Acme"], fresh_sqlite)
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("bf_")
    again = _run(["api-keys", "create", "--organization", "Acme"], fresh_sqlite)
    assert again.stdout.strip().splitlines()[-1] != key


def test_concurrent_writers_never_get_a_500(server: tuple[str, str | None, dict[str, str]]) -> None:
    base, key, env = server
    if key is None:  # the shared test database already had an organization: make one
        key = _run(["api-keys", "create", "--organization", "CLI load"], env).stdout.strip().splitlines()[-1]
    headers = {"X-API-KEY": key}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        customer = client.post("/v1/customers", json={"name": "Load"}).json()
        invoice = client.post("/v1/invoices", json={"customerId": customer["id"]}).json()

    def worker(index: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for step in range(15):
                body = {"name": f"W{index}", "quantity": str(step + 1), "unitPrice": "1.005"}
                statuses.append(
                    client.post(f"/v1/invoices/{invoice['id']}/line-items", json=body).status_code
                )
                statuses.append(client.post("/v1/invoices", json={"customerId": customer["id"]}).status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = [status for result in pool.map(worker, range(12)) for status in result]
    assert set(statuses) == {201}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        full = client.get(f"/v1/invoices/{invoice['id']}").json()
    lines = full["standaloneLineItems"]
    assert len(lines) == 12 * 15
    assert Decimal(full["totalAmount"]) == sum(Decimal(line["totalAmount"]) for line in lines)
