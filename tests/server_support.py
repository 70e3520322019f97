"""Running ``billfold serve`` as a real process for end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from billfold.config import normalize_database_url
from billfold.db.engine import make_engine
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization

BILLFOLD = [sys.executable, "-m", "billfold.cli"]
# How long a started server (or worker) may take to answer: generous, because a loaded 2-core machine
# can take a minute to import and start two workers; a healthy start answers in about a second.
STARTUP_SECONDS = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BILLFOLD, *args], env=env, capture_output=True, text=True, timeout=120, check=True
    )


def new_key(env: dict[str, str], organization: str) -> str:
    """An API key of a new organization in the (migrated) database ``env`` names, made in this process:
    a ``billfold api-keys create`` would cost a process start (the command itself is tested in
    test_cli.py)."""

    async def make() -> str:
        engine = make_engine(normalize_database_url(env["BILLFOLD_DATABASE_URL"]))
        try:
            async with UnitOfWork(engine) as uow:
                _, key = await create_organization(uow, organization)
                await uow.commit()
            return key
        finally:
            await engine.dispose()

    return asyncio.run(make())


@dataclass
class Server:
    base: str
    key: str | None
    env: dict[str, str]
    process: subprocess.Popen[str]

    def kill(self) -> None:
        """SIGKILL the server and its workers at once: no shutdown, no cleanup, like a power cut."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@contextmanager
def serving(
    env: dict[str, str], tmp_path: Path, port: int | None = None, workers: int = 2
) -> Iterator[Server]:
    """Run ``billfold serve`` (two workers unless told) until the block ends; the server's process group
    is its own."""
    port = port or free_port()
    tmp_path.mkdir(parents=True, exist_ok=True)
    log = (tmp_path / f"serve-{port}-{time.monotonic_ns()}.log").open("w+")
    process = subprocess.Popen(
        [*BILLFOLD, "serve", "--port", str(port), "--workers", str(workers), "--no-access-log"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            log.seek(0)
            pytest.fail(f"server did not start:\n{log.read()}")
        log.seek(0)
        key = next((line for line in log.read().splitlines() if line.startswith("bf_")), None)
        yield Server(base, key, env, process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        log.close()
