"""The ``billfold`` command end to end: serve (with its first organization), migrate and api-keys.

The server runs as a real process with two workers, and many clients write at once: SQLite must make
writers wait (WAL, BEGIN IMMEDIATE, busy timeout), never answer 500.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from conftest import POSTGRES_URL, _postgres_admin
from server_support import BILLFOLD, STARTUP_SECONDS, free_port, serving
from server_support import run_cli as _run


@pytest.fixture
def fresh_sqlite(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BILLFOLD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str | None, dict[str, str]]]:
    """``billfold serve`` with two workers on each backend."""
    env = {**os.environ, "BILLFOLD_DATABASE_URL": database_url, "BILLFOLD_EMBEDDED_WORKER": "false"}
    with serving(env, tmp_path) as running:
        yield running.base, running.key, running.env


def test_serve_on_a_fresh_database_prints_the_first_key_once(
    fresh_sqlite: dict[str, str], tmp_path: Path
) -> None:
    # one worker: the key is printed by the serving process itself, however many workers follow
    with serving(fresh_sqlite, tmp_path, workers=1) as first:
        base, key = first.base, first.key
        assert key is not None
        assert httpx.get(f"{base}/v1/customers", headers={"X-API-KEY": key}).status_code == 200
        assert httpx.get(f"{base}/v1/customers", headers={"X-API-KEY": "bf_wrong"}).status_code == 401
    with serving(fresh_sqlite, tmp_path / "again", workers=1) as second:
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


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BILLFOLD, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_every_directory_finds_the_same_default_database(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BILLFOLD_DATABASE_URL"}
    env["BILLFOLD_DATA_DIR"] = str(tmp_path / "data")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    created = _cli(["api-keys", "create", "--organization", "Here", "--name", "laptop"], env, tmp_path / "a")
    assert created.returncode == 0, created.stderr
    database = tmp_path / "data" / "billfold.db"
    assert created.stdout.splitlines()[0] == f"Database: sqlite:///{database}"
    listed = _cli(["api-keys", "list", "--organization", "Here"], env, tmp_path / "b")
    assert listed.returncode == 0, listed.stderr
    assert created.stdout.strip().splitlines()[-1][:10] in listed.stdout
    assert "laptop" in listed.stdout
    assert not (tmp_path / "a" / "billfold.db").exists()
    assert not (tmp_path / "b" / "billfold.db").exists()


def test_an_old_database_in_the_working_directory_is_named_and_left_alone(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BILLFOLD_DATABASE_URL"}
    env["BILLFOLD_DATA_DIR"] = str(tmp_path / "data")
    old = tmp_path / "billfold.db"
    old.write_bytes(b"")
    migrated = _cli(["migrate"], env, tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    (warning,) = migrated.stderr.strip().splitlines()
    assert warning.startswith(f"warning: {old} is not used")
    assert f"BILLFOLD_DATABASE_URL=sqlite:///{old}" in warning
    assert old.read_bytes() == b""
    kept = _cli(["migrate"], {**env, "BILLFOLD_DATABASE_URL": f"sqlite:///{old}"}, tmp_path)
    assert (kept.returncode, kept.stderr) == (0, "")
    assert old.stat().st_size > 0


def test_api_keys_list_and_revoke(server: tuple[str, str | None, dict[str, str]], tmp_path: Path) -> None:
    base, _, env = server
    organization = f"Revoking {tmp_path.name}"
    keep = _run(["api-keys", "create", "--organization", organization], env).stdout.strip().splitlines()[-1]
    made = _run(["api-keys", "create", "--organization", organization, "--name", "ci"], env)
    doomed = made.stdout.strip().splitlines()[-1]
    listed = _run(["api-keys", "list", "--organization", organization], env).stdout.splitlines()
    rows = [line.split() for line in listed if line[:1].isdigit() or line[:1] in "abcdef"]
    assert [(row[1], row[-1]) for row in rows] == [(doomed[:10], "ci"), (keep[:10], "-")]
    assert doomed not in "\n".join(listed)
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/v1/customers", headers={"X-API-KEY": doomed}).status_code == 200
        revoked = _run(["api-keys", "revoke", "--organization", organization, rows[0][0]], env)
        assert f"revoked API key {rows[0][0]}" in revoked.stdout
        # both workers refuse it at once; the other key goes on working
        statuses = {client.get("/v1/customers", headers={"X-API-KEY": doomed}).status_code for _ in range(20)}
        assert statuses == {401}
        assert client.get("/v1/customers", headers={"X-API-KEY": keep}).status_code == 200
    again = _run(["api-keys", "list", "--organization", organization], env).stdout.splitlines()
    revoked_row = next(line.split() for line in again if line.startswith(rows[0][0]))
    assert revoked_row[4] != "-"  # REVOKED (UTC) holds a date


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["api-keys", "list", "--organization", "Nobody"], "billfold: no organization named 'Nobody'"),
        (
            ["api-keys", "revoke", "--organization", "Nobody", "01a23217-243f-7f8b-95a9-88c8e0808bdf"],
            "billfold: no organization named 'Nobody'",
        ),
    ],
)
def test_cli_errors_are_one_line(
    fresh_sqlite: dict[str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    result = _cli(args, fresh_sqlite, tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == message


def test_a_missing_postgres_database_is_created_by_migrate(tmp_path: Path) -> None:
    name = f"billfold_cli_{uuid.uuid4().hex[:10]}"
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        result = _cli(["migrate"], {**os.environ, "BILLFOLD_DATABASE_URL": url}, tmp_path)
        assert result.returncode == 0, result.stderr
        assert f"created the PostgreSQL database {name!r}" in result.stdout
        assert "migrations applied" in result.stdout
    finally:
        asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_an_unreachable_database_is_one_line_without_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "BILLFOLD_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/billfold"}
    result = _cli(["serve"], env, tmp_path)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("billfold: cannot connect to PostgreSQL at 127.0.0.1:1")
    bad_port = _cli(["serve"], {**os.environ, "BILLFOLD_PORT": "http"}, tmp_path)
    expected = "billfold: BILLFOLD_PORT must be a whole number, not 'http'"
    assert (bad_port.returncode, bad_port.stderr.strip()) == (1, expected)


def test_serve_listens_where_billfold_host_and_port_say(tmp_path: Path, fresh_sqlite: dict[str, str]) -> None:
    port = free_port()
    env = {**fresh_sqlite, "BILLFOLD_HOST": "127.0.0.1", "BILLFOLD_PORT": str(port), "BILLFOLD_WORKERS": "1"}
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [*BILLFOLD, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            log.seek(0)
            pytest.fail(f"server did not start on {port}:\n{log.read()}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.seek(0)
        printed = log.read()
        log.close()
    assert f"Database: sqlite:///{tmp_path / 'cli.db'}" in printed
