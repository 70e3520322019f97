"""What an add through each layer of Billfold's stack can reach at most: ``uv run python bench/add_floor.py``.

Runs the four servers of ``bench/floor/apps.py`` in turn (uvicorn, two workers, as ``billfold serve``
runs), each doing only ``bench/pgbench/add_line.sql``'s statements for a posted line, drives each with
``wrk`` (16 connections, ``bench/wrk/add_floor.lua``) and runs ``add_line.sql`` with pgbench (16 clients)
right after, against the same fresh database. Prints each server's adds/s, its ratio to pgbench's
transactions/s and the CPU per add of the server and of PostgreSQL's backends: the ceiling of the add's
ratio through those layers, before any of Billfold's own work (authentication, validation, calculation,
events, the answer as Billfold renders it). ``--seconds`` per run (default 15).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ADMIN_URL, ROOT, admin, free_port, machine, pgbench, wrk

LAYERS = {
    "asgi": "bare ASGI + orjson + asyncpg",
    "fastapi": "FastAPI route, pydantic body + asyncpg",
    "sqlalchemy_driver": "FastAPI route, pydantic body + SQLAlchemy AsyncConnection, driver SQL",
    "sqlalchemy": "FastAPI route, pydantic body + SQLAlchemy AsyncSession, text()",
}


def start(layer: str, database: str, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "FLOOR_DSN": f"{ADMIN_URL.rsplit('/', 1)[0]}/{database}"}
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "bench"), f"floor.apps:{layer}"]
    command += ["--port", str(port), "--workers", "2", "--loop", "uvloop", "--http", "httptools"]
    command += ["--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, text=True)
    body = {"name": "Item", "quantity": "3", "unitPrice": "12.345"}
    for _ in range(300):
        try:
            answer = httpx.post(
                f"http://127.0.0.1:{port}/add/1", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
            )
            if answer.status_code == 201:
                return process
            raise SystemExit(f"{layer}: {answer.status_code} {answer.text}")
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{layer} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    database = f"billfold_floor_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{database}"'))
    rows = []
    try:
        asyncio.run(admin((ROOT / "bench/pgbench/schema.sql").read_text(), database))
        for layer, label in LAYERS.items():
            port = free_port()
            process = start(layer, database, port)
            try:
                api = wrk("add_floor.lua", port, 16, args.seconds, {}, (process.pid, database))
            finally:
                process.terminate()
                process.wait(timeout=30)
            sql = pgbench(database, ROOT / "bench/pgbench/add_line.sql", 16, args.seconds)
            if api["status_errors"] or api["socket_errors"]:
                raise SystemExit(
                    f"{layer}: {api['status_errors']} error answers, {api['socket_errors']} socket errors"
                )
            rows.append((label, api, sql))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"### Add floors: the add's SQL alone through each layer — {when}\n")
    print(f"{machine()}; wrk 16 connections, pgbench `add_line.sql` 16 clients right after each, ", end="")
    print(f"{args.seconds} s each.\n")
    print("| layers | adds/s | pgbench tps | ratio | server CPU ms/add | backends ms/add | load |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, api, sql in rows:
        cpu = api["cpu_ms"]
        print(
            f"| {label} | {api['rps']:,.0f} | {sql['tps']:,.0f} | {api['rps'] / sql['tps']:.2f} "
            f"| {cpu['server']:.2f} | {cpu['postgres']:.2f} | {api['load']} |"
        )


if __name__ == "__main__":
    main()
