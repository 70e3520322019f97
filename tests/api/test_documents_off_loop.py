"""Rendering runs off the event loop: while the PDF of a 1,000-line invoice renders, other requests are
answered."""

from __future__ import annotations

import time
import uuid

import anyio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db import models as m
from conftest import ApiClient, make_invoice

LINES = 1000


async def _copies(engine: AsyncEngine, line_id: str, count: int) -> None:
    """``count`` copies of the line, written straight into the database (a thousand API writes would
    make the test slow; the figures do not matter here, only the size of the document)."""
    table = m.LineItem.__table__
    async with engine.begin() as connection:
        row = (await connection.execute(sa.select(table).where(table.c.id == uuid.UUID(line_id)))).one()
        values = [
            {**row._asdict(), "id": uuid.uuid4(), "position": index + 1, "idempotency_key": f"copy-{index}"}
            for index in range(count)
        ]
        await connection.execute(sa.insert(table), values)


async def test_health_answers_while_a_1000_line_pdf_renders(api: ApiClient, engine: AsyncEngine) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    line = await api.create(f"{base}/line-items", {"name": "Line", "amount": "1.00"})
    await _copies(engine, str(line["id"]), LINES - 1)
    assert len((await api.get(f"{base}/line-items")).json()["data"]) == LINES
    finished: dict[str, float] = {}

    async def render() -> None:
        response = await api.get(f"{base}/pdf")
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")
        finished["pdf"] = time.monotonic()

    async def health() -> None:
        await anyio.sleep(0.3)  # the render is under way
        response = await api.raw.get("/health")
        assert response.status_code == 200
        finished["health"] = time.monotonic()

    async with anyio.create_task_group() as group:
        group.start_soon(render)
        group.start_soon(health)
    assert finished["health"] < finished["pdf"]
