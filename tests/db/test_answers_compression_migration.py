"""Migration 0016: on PostgreSQL the stored answers are compressed with lz4 (pglz again after the
downgrade), and a large answer (a 1,000-line create's) is stored so and replays byte for byte."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db.engine import make_engine
from billfold.db.migrate import alembic_config, upgrade
from conftest import ApiClient


async def _compression(url: str) -> str:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                sa.text(
                    "SELECT attcompression::text FROM pg_attribute"
                    " WHERE attrelid = 'idempotency_records'::regclass AND attname = 'response_body'"
                )
            )
            return str(found.scalar_one())
    finally:
        await engine.dispose()


@pytest.mark.parametrize("fresh_url", ["postgresql"], indirect=True)
async def test_answers_are_compressed_with_lz4(fresh_url: str) -> None:
    upgrade(fresh_url)
    assert await _compression(fresh_url) == "l"
    command.downgrade(alembic_config(fresh_url), "0015")
    assert await _compression(fresh_url) == "p"


async def test_a_large_answer_replays_whole(api: ApiClient, engine: AsyncEngine) -> None:
    customer = await api.create("/v1/customers", {"name": "Big"})
    lines = [{"name": f"Item {index}", "quantity": "2", "unitPrice": "1.25"} for index in range(1000)]
    body = {"customerId": customer["id"], "lineItems": lines}
    headers = {"Idempotency-Key": "large-answer"}
    first = await api.post("/v1/invoices", json=body, headers=headers)
    again = await api.post("/v1/invoices", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert len(first.content) > 400_000
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            found = await connection.execute(
                sa.text(
                    "SELECT pg_column_compression(response_body) FROM idempotency_records"
                    " WHERE key = 'large-answer'"
                )
            )
            assert found.scalar_one() == "lz4"
