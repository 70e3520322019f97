"""Four servers that do only what ``bench/pgbench/add_line.sql`` does for one add, each with one layer
more of Billfold's stack, to measure what each layer costs (``bench/add_floor.py`` runs them):

* ``asgi``: a bare ASGI app (uvicorn, httptools, uvloop), the body parsed with orjson, the statements
  sent on an asyncpg connection: the least a Python server can do for an add;
* ``fastapi``: the same behind a FastAPI route with a pydantic body (as Billfold's routes are);
* ``sqlalchemy_driver``: that route sending the statements through SQLAlchemy's ``AsyncConnection``
  as driver SQL (``exec_driver_sql``: SQLAlchemy's connection and pool, no statement compiled);
* ``sqlalchemy``: that route sending them through SQLAlchemy's ``AsyncSession`` as ``text()`` statements
  (as Billfold's repository sends its statements).

None of them authenticates, validates beyond the body's types, calculates, records events or renders
the line as Billfold does: what they reach is a ceiling for an add through the same layers.
``FLOOR_DSN``: the database holding ``bench/pgbench/schema.sql``'s tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

ORGANIZATION = uuid.UUID("00000000-0000-0000-0000-000000000001")
CENT = Decimal("0.01")
# add_line.sql's statements, with parameters
RECORD = "INSERT INTO pgb_idempotency (organization_id, scope, key, fingerprint) VALUES ($1, $2, $3, 'f')"
LOCK = "SELECT next_line_index FROM pgb_invoices WHERE organization_id = $1 AND id = $2 FOR UPDATE"
LINE = "INSERT INTO pgb_lines VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, now())"
SUMS = (
    "UPDATE pgb_invoices SET subtotal_amount = subtotal_amount + $3, total_amount = total_amount + $3,"
    " next_line_index = next_line_index + 1, running_sums = '{\"cells\": []}', updated_at = now()"
    " WHERE organization_id = $1 AND id = $2"
)
ANSWER = (
    "UPDATE pgb_idempotency SET status_code = 201, body = CAST($4 AS jsonb)"
    " WHERE organization_id = $1 AND scope = $2 AND key = $3"
)
Statement = Callable[[str, tuple[Any, ...]], Awaitable[Any]]


def dsn() -> str:
    return os.environ["FLOOR_DSN"]


async def add(run: Statement, invoice: int, key: str, name: str, quantity: Decimal, price: Decimal) -> bytes:
    """The add's statements in order (``run`` sends one and answers its first value) and its answer."""
    amount = (quantity * price).quantize(CENT)
    line_id = uuid.uuid4()
    scope = f"line_item:{invoice}"
    answer = orjson.dumps(
        {
            "id": str(line_id),
            "name": name,
            "quantity": str(quantity),
            "unitPrice": str(price),
            "amount": str(amount),
        }
    )
    await run(RECORD, (ORGANIZATION, scope, key))
    position = await run(LOCK, (ORGANIZATION, invoice))
    await run(LINE, (ORGANIZATION, line_id, invoice, position, name, quantity, price, amount, key))
    await run(SUMS, (ORGANIZATION, invoice, amount))
    await run(ANSWER, (ORGANIZATION, scope, key, answer.decode()))
    return answer


# -- asgi ----------------------------------------------------------------------------------------------

_pool: asyncpg.Pool | None = None


async def asgi(
    scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
) -> None:
    global _pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _pool = await asyncpg.create_pool(dsn(), min_size=8, max_size=8)
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    data = orjson.loads(body)
    key = dict(scope["headers"])[b"idempotency-key"].decode()
    invoice = int(scope["path"].rsplit("/", 1)[1])
    assert _pool is not None
    async with _pool.acquire() as connection, connection.transaction():

        async def run(sql: str, values: tuple[Any, ...]) -> Any:
            return await connection.fetchval(sql, *values)

        answer = await add(
            run, invoice, key, data["name"], Decimal(data["quantity"]), Decimal(data["unitPrice"])
        )
    await send(
        {"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": answer})


# -- fastapi, sqlalchemy -------------------------------------------------------------------------------


class LineIn(BaseModel):
    name: str
    quantity: Decimal
    unitPrice: Decimal  # noqa: N815 (the wire's name)


def _named(sql: str) -> str:
    """``$1`` -> ``:p1`` (SQLAlchemy's ``text`` binds by name)."""
    for number in range(9, 0, -1):
        sql = sql.replace(f"${number}", f":p{number}")
    return sql


def _fastapi_app(through: str) -> FastAPI:
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if through != "asyncpg":
            url = dsn().replace("postgresql://", "postgresql+asyncpg://")
            state["engine"] = create_async_engine(url, pool_size=8)
        else:
            state["pool"] = await asyncpg.create_pool(dsn(), min_size=8, max_size=8)
        yield

    app = FastAPI(lifespan=lifespan)

    @app.post("/add/{invoice}", status_code=201)
    async def create(invoice: int, body: LineIn, request: Request) -> Response:
        key = request.headers["idempotency-key"]
        if through == "driver":
            engine: AsyncEngine = state["engine"]
            async with engine.begin() as connection:

                async def run_driver(sql: str, values: tuple[Any, ...]) -> Any:
                    result = await connection.exec_driver_sql(sql, values)
                    return result.scalar() if result.returns_rows else None

                answer = await add(run_driver, invoice, key, body.name, body.quantity, body.unitPrice)
        elif through == "session":
            engine = state["engine"]
            async with AsyncSession(engine) as session:

                async def run_orm(sql: str, values: tuple[Any, ...]) -> Any:
                    params = {f"p{number}": value for number, value in enumerate(values, 1)}
                    result = await session.execute(text(_named(sql)), params)
                    return result.scalar() if result.returns_rows else None

                answer = await add(run_orm, invoice, key, body.name, body.quantity, body.unitPrice)
                await session.commit()
        else:
            pool: asyncpg.Pool = state["pool"]
            async with pool.acquire() as connection, connection.transaction():

                async def run(sql: str, values: tuple[Any, ...]) -> Any:
                    return await connection.fetchval(sql, *values)

                answer = await add(run, invoice, key, body.name, body.quantity, body.unitPrice)
        return Response(answer, status_code=201, media_type="application/json")

    return app


fastapi = _fastapi_app("asyncpg")
sqlalchemy_driver = _fastapi_app("driver")
sqlalchemy = _fastapi_app("session")
