"""Decimals survive the database exactly, on SQLite and on PostgreSQL.

SQLite's NUMERIC affinity would turn ``12345678901234567.891234567891`` into a float; the ``ExactDecimal``
column type must keep every digit, through the ORM, through raw reads, and through the API.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.core.money import CONTEXT, to_plain
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization
from conftest import ApiClient, make_invoice

VALUES = [
    "12345678901234567.891234567891",
    "0.000000000001",
    "-0.5",
    "999999999999999999.999999999999",
    "-999999999999999999.999999999999",
    "0.100000000000",
    "1000000000000000000",
    "0",
]


async def _organization(engine: AsyncEngine) -> uuid.UUID:
    async with UnitOfWork(engine) as uow:
        organization, _ = await create_organization(uow, "Decimal store")
        await uow.commit()
    return organization.id


async def _store_product(engine: AsyncEngine, organization_id: uuid.UUID, price: Decimal) -> uuid.UUID:
    product_id = new_id()
    async with UnitOfWork(engine) as uow:
        await uow.repo.add(
            m.Product(
                id=product_id,
                organization_id=organization_id,
                name=f"p-{product_id.hex}",
                default_unit_price=price,
                idempotency_key=product_id.hex,
                created_at=utcnow(),
            )
        )
        await uow.commit()
    return product_id


@pytest.mark.parametrize("value", VALUES)
async def test_orm_round_trip_keeps_every_digit(engine: AsyncEngine, value: str) -> None:
    organization_id = await _organization(engine)
    product_id = await _store_product(engine, organization_id, Decimal(value))
    async with UnitOfWork(engine, readonly=True) as uow:
        loaded = await uow.repo.get(m.Product, organization_id, product_id)
    assert loaded is not None
    price = loaded.default_unit_price
    assert isinstance(price, Decimal)
    assert price == Decimal(value)
    assert to_plain(price) == to_plain(Decimal(value))
    # Not merely equal: the very digits came back (no float detour on the way). PostgreSQL may answer
    # another exponent for the same value (1.00E+18), so the digits are compared normalised.
    assert price.normalize(CONTEXT).as_tuple() == Decimal(value).normalize(CONTEXT).as_tuple()


@pytest.mark.parametrize("value", ["1E-12", "1E+5", "-0", "-0E-12", "5E+17"])
async def test_exponent_forms_are_stored_as_their_value(engine: AsyncEngine, value: str) -> None:
    organization_id = await _organization(engine)
    product_id = await _store_product(engine, organization_id, Decimal(value))
    async with UnitOfWork(engine, readonly=True) as uow:
        loaded = await uow.repo.get(m.Product, organization_id, product_id)
    assert loaded is not None
    assert loaded.default_unit_price is not None
    assert loaded.default_unit_price == Decimal(value)
    assert "E" not in to_plain(loaded.default_unit_price)


@pytest.mark.parametrize("value", ["12345678901234567.891234567891", "0.000000000001", "-0.5"])
async def test_raw_column_holds_the_exact_value(engine: AsyncEngine, value: str) -> None:
    organization_id = await _organization(engine)
    product_id = await _store_product(engine, organization_id, Decimal(value))
    async with UnitOfWork(engine, readonly=True) as uow:
        row = (
            await uow.session.execute(
                text("SELECT default_unit_price FROM products WHERE id = :id"),
                {"id": product_id if uow.dialect == "postgresql" else product_id.hex},
            )
        ).one()
    raw = row[0]
    if engine.dialect.name == "sqlite":
        # Stored as fixed-point text: exactly the digits, never a REAL.
        assert raw == value
    else:
        assert isinstance(raw, Decimal)
        assert raw == Decimal(value)
        assert to_plain(raw) == value


async def test_column_is_text_on_sqlite_and_numeric_on_postgresql(engine: AsyncEngine) -> None:
    organization_id = await _organization(engine)
    product_id = await _store_product(engine, organization_id, Decimal("12345678901234567.891234567891"))
    sqlite = engine.dialect.name == "sqlite"
    query = (
        "SELECT typeof(default_unit_price) FROM products WHERE id = :id"
        if sqlite
        else "SELECT pg_typeof(default_unit_price)::text FROM products WHERE id = :id"
    )
    async with UnitOfWork(engine, readonly=True) as uow:
        kind = (
            await uow.session.execute(text(query), {"id": product_id.hex if sqlite else product_id})
        ).scalar_one()
    assert kind == ("text" if sqlite else "numeric")


@pytest.mark.parametrize(
    ("unit_price", "subtotal"),
    [
        ("12345678901234567.891234567891", "12345678901234567.89"),
        ("0.000000000001", "0.00"),
        ("-0.5", "-0.50"),
        ("999999999999999999.99", "999999999999999999.99"),
        ("-999999999999999999.994999999999", "-999999999999999999.99"),
    ],
)
async def test_api_round_trip_of_a_unit_price(api: ApiClient, unit_price: str, subtotal: str) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    line = await api.create(f"{base}/line-items", {"name": "Exact", "quantity": "1", "unitPrice": unit_price})
    assert line["unitPrice"] == unit_price
    assert line["subtotalAmount"] == subtotal
    fetched = (await api.get(f"{base}/line-items/{line['id']}")).json()
    assert fetched["unitPrice"] == unit_price
    assert fetched["subtotalAmount"] == subtotal
    full = (await api.get(base)).json()
    assert full["standaloneLineItems"][0]["unitPrice"] == unit_price
    assert full["totalAmount"] == subtotal


async def test_a_line_rounding_past_the_largest_amount_is_refused(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    # 1 × 999…999.999999999999 rounds to 10^18.00, past the largest line amount: a 400, nothing stored.
    response = await api.post(
        f"{base}/line-items",
        json={"name": "Edge", "quantity": "1", "unitPrice": "999999999999999999.999999999999"},
    )
    assert response.status_code == 400, response.text
    assert "quantity" in response.json()["details"]
    full = (await api.get(base)).json()
    assert (full["totalAmount"], full["standaloneLineItems"]) == ("0.00", [])


async def test_api_round_trip_of_quantities_and_prices(api: ApiClient) -> None:
    invoice = await make_invoice(api, currency="BHD")
    base = f"/v1/invoices/{invoice['id']}"
    cases = [
        ("0.000000000001", "123456789012.345678901234", "0.123"),
        ("999999.999999999999", "0.000000000001", "0.000"),
        ("3", "0.3335", "1.001"),
    ]
    total = Decimal(0)
    for quantity, unit_price, subtotal in cases:
        line = await api.create(
            f"{base}/line-items", {"name": f"Q{quantity}", "quantity": quantity, "unitPrice": unit_price}
        )
        assert (line["quantity"], line["unitPrice"], line["subtotalAmount"]) == (
            quantity,
            unit_price,
            subtotal,
        )
        total += Decimal(subtotal)
    full = (await api.get(base)).json()
    assert [(row["quantity"], row["unitPrice"]) for row in full["standaloneLineItems"]] == [
        (q, p) for q, p, _ in cases
    ]
    assert full["totalAmount"] == to_plain(total)


async def test_api_round_trip_of_a_product_default_price(api: ApiClient) -> None:
    product = await api.create(
        "/v1/products", {"name": "Exact", "defaultUnitPrice": "12345678901234567.891234567891"}
    )
    assert (await api.get(f"/v1/products/{product['id']}")).json()["defaultUnitPrice"] == (
        "12345678901234567.891234567891"
    )
    invoice = await make_invoice(api)
    line = await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"productId": product["id"]})
    assert line["unitPrice"] == "12345678901234567.891234567891"
    assert line["totalAmount"] == "12345678901234567.89"


async def test_running_sums_stay_exact_near_the_top_of_the_range(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    for _ in range(3):
        await api.create(f"{base}/line-items", {"name": "Big", "amount": "999999999999999999.99"})
    await api.create(f"{base}/line-items", {"name": "Cent", "amount": "0.01"})
    full = (await api.get(base)).json()
    assert full["totalAmount"] == "2999999999999999999.98"
    assert full["amountDue"] == "2999999999999999999.98"
