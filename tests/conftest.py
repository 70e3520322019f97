"""Shared fixtures: every database and API test runs on SQLite and on PostgreSQL.

PostgreSQL is found at ``BILLFOLD_TEST_POSTGRES_URL`` (default: the local server, database ``test``);
each test session creates its own database there and drops it at the end. The schema is built by the
Alembic migrations, as in production. Without a reachable PostgreSQL the PostgreSQL half is skipped with
a message, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.app import create_app
from billfold.config import WebhookSettings
from billfold.db import models as m
from billfold.db.engine import make_engine
from billfold.db.migrate import upgrade
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization
from en16931_support import assert_valid, en16931  # noqa: F401 - fixtures shared by every test

POSTGRES_URL = os.environ.get("BILLFOLD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


def today_date() -> date:
    """Today's date in UTC (the organizations' time zone in the tests), read at each use: a run that
    spans midnight must not pair yesterday's date, read at import, with what the server does today
    (an issue dated yesterday does not see credit granted today)."""
    return datetime.now(UTC).date()


def today() -> str:
    """:func:`today_date` as the API writes it (an issue date may not be later)."""
    return today_date().isoformat()


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _postgres_admin(sql: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _postgres_database() -> Iterator[str]:
    name = f"billfold_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        message = f"PostgreSQL is not reachable at {POSTGRES_URL} ({error}); PostgreSQL tests skipped"
        if os.environ.get("CI") == "true":
            pytest.fail(message.replace("skipped", "cannot be skipped in CI"))
        pytest.skip(message)
    base = _asyncpg_dsn(POSTGRES_URL).rsplit("/", 1)[0]
    try:
        yield f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    finally:
        asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind (not migrated), for this test alone: migration tests."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    yield from _postgres_database()


@pytest.fixture(scope="session", autouse=True)
def _data_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test, nor a server or command it starts, writes into the user's data directory."""
    os.environ["BILLFOLD_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "billfold.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        yield url
        return
    for url in _postgres_database():
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url, pool_size=20)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def app_client(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://billfold.test") as client:
        yield client


@asynccontextmanager
async def served(url: str) -> AsyncIterator[tuple[AsyncEngine, ApiClient]]:
    """The database at ``url`` migrated to the newest revision and served in this process: its engine
    (disposed at the end; a migration test may dispose it to migrate in between, and use it again) and
    a client of a new organization (``ApiClient.raw`` is the shared client, for another key)."""
    upgrade(url)
    engine = make_engine(url)
    try:
        app = create_app(engine)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield engine, ApiClient(client, await new_api_key(engine))
    finally:
        await engine.dispose()


async def whole_ledger(engine: AsyncEngine, organization_id: uuid.UUID, customer_id: uuid.UUID) -> list[Any]:
    """Every entry of the customer's ledger, read directly (what the checks work out balances from)."""
    table = m.CreditEntry.__table__
    async with engine.connect() as connection:
        statement = select(table).where(
            table.c.organization_id == organization_id, table.c.customer_id == customer_id
        )
        return list((await connection.execute(statement)).all())


async def new_api_key(engine: AsyncEngine, name: str = "Test organization") -> str:
    async with UnitOfWork(engine) as uow:
        _, key = await create_organization(uow, name)
        await uow.commit()
    return key


@pytest.fixture
def private_allowed(api: ApiClient) -> Iterator[Any]:
    """Webhook endpoints on this machine are accepted (nothing is delivered by the app itself: no worker
    runs in it)."""
    app = api.raw._transport.app  # type: ignore[attr-defined]
    before = app.state.webhook_settings
    app.state.webhook_settings = WebhookSettings(allow_private=True)
    yield app
    app.state.webhook_settings = before


@contextmanager
def statements_sent(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` sends meanwhile, whitespace collapsed, in order."""
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)


@pytest.fixture
async def api(engine: AsyncEngine, app_client: httpx.AsyncClient) -> ApiClient:
    """A client authenticated as a brand-new organization, so tests never see each other's data."""
    return ApiClient(app_client, await new_api_key(engine))


class ApiClient:
    """Wraps the shared client so each test sends its own organization's key."""

    def __init__(self, client: httpx.AsyncClient, key: str) -> None:
        self._client = client
        self.key = key

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        merged = {"X-API-KEY": self.key}
        merged.update(headers or {})
        return merged

    async def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        headers = self._headers(kwargs.pop("headers", None))  # type: ignore[arg-type]
        return await self._client.request(method, url, headers=headers, **kwargs)  # type: ignore[arg-type]

    async def create(self, url: str, body: dict[str, object], status: int = 201) -> dict[str, object]:
        """POST and insist on ``status``; the parsed body."""
        response = await self.post(url, json=body)
        assert response.status_code == status, response.text
        data: dict[str, object] = response.json()
        return data

    async def get(self, url: str, **kwargs: object) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: object) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def patch(self, url: str, **kwargs: object) -> httpx.Response:
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs: object) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)

    @property
    def raw(self) -> httpx.AsyncClient:
        return self._client


async def make_invoice(api: ApiClient, currency: str = "USD", **fields: object) -> dict[str, object]:
    """A customer in ``currency`` and a draft invoice for it."""
    customer = await api.create("/v1/customers", {"name": "Acme", "currency": currency})
    return await api.create(
        "/v1/invoices", {"customerId": customer["id"], "invoiceDate": "2026-03-15", **fields}
    )
