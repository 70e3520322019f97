"""The rows of a bulk create name every column of a line (the insert adds the organization and invoice),
and a body's repeated values are priced once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db import models as m
from billfold.services import bulk_rows
from billfold.services.bulk_rows import LINE_COLUMNS
from billfold.services.line_pricing import price_line
from conftest import ApiClient


def test_the_rows_name_every_column_of_a_line_once() -> None:
    columns = {column.key for column in m.LineItem.__table__.columns}
    assert len(set(LINE_COLUMNS)) == len(LINE_COLUMNS)
    assert set(LINE_COLUMNS) | {"organization_id", "invoice_id"} == columns
    assert not {"organization_id", "invoice_id"} & set(LINE_COLUMNS)


async def test_repeated_values_are_priced_once_and_other_scales_apart(
    api: ApiClient, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body's repeated quantity and price are priced once per request; ``2`` and ``2.0`` (equal, of
    another scale) are priced apart, so each line stores the quantity it was given, as one added alone
    would."""
    calls: list[tuple[Any, ...]] = []

    def counted(*args: Any) -> Any:
        calls.append(args[:3])
        return price_line(*args)

    monkeypatch.setattr(bulk_rows, "price_line", counted)
    customer = await api.create("/v1/customers", {"name": "Acme"})
    lines = [{"name": "Seat", "quantity": "2", "unitPrice": "1.005"}] * 5
    lines += [{"name": "Seat", "quantity": "2.0", "unitPrice": "1.005"}, {"name": "Fee", "amount": "3"}] * 2
    made = await api.create("/v1/invoices", {"customerId": customer["id"], "lineItems": lines})
    assert len(calls) == 3
    assert [line["totalAmount"] for line in made["standaloneLineItems"]] == ["2.01"] * 5 + [
        "2.01",
        "3.00",
    ] * 2
    async with engine.connect() as connection:
        stored = await connection.execute(
            select(m.LineItem.quantity)
            .where(m.LineItem.invoice_id == uuid.UUID(made["id"]))
            .order_by(m.LineItem.position)
        )
        quantities = [str(value) for value in stored.scalars()]
    assert quantities == ["2"] * 5 + ["2.0", "1"] * 2
