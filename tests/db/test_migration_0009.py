"""Migration 0009: old-shaped rows (packed tax keys, camelCase JSON, per-rate sums) become neutral data.

The round trip runs on SQLite and PostgreSQL: an invoice is built at head, the database is taken down
to 0005 (its rows now in the old shape: checked), and up again; the invoice then reads, writes and
issues with the same figures.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command

from billfold.api.app import create_app
from billfold.db.engine import make_engine
from billfold.db.migrate import MIGRATIONS, alembic_config, upgrade
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization
from conftest import _postgres_database

PACKAGE = {"model": "package", "packageSize": "100", "packagePrice": "5", "minimumAmount": "12"}
SEATS = {
    "price": {"model": "unit", "unitPrice": "31.00", "billingModel": "proration"},
    "startDate": "2026-03-01",
    "endDate": "2026-03-31",
    "intervals": [
        {"startDate": "2026-03-01", "endDate": "2026-03-10", "quantity": "2"},
        {"startDate": "2026-03-11", "endDate": "2026-03-31", "quantity": "3"},
    ],
}
FIELDS = ("subtotalAmount", "discountAmount", "adjustmentAmount", "netAmount", "taxAmount", "totalAmount")


def _migration() -> ModuleType:
    path = MIGRATIONS / "versions" / "0009_neutral_stored_data.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_conversions_are_neutral_and_reversible() -> None:
    migration = _migration()
    category = uuid.uuid4()
    assert migration.split_tax_key(f"{category}|5.5|1") == (category, Decimal("5.5"), True)
    assert migration.split_tax_key(None) == (None, None, None)
    assert migration.join_tax_key(category, Decimal("20"), False) == f"{category}|20|0"
    old = {
        "taxSummary": [{"taxCategoryId": "c", "rate": "20", "inclusive": False, "taxableAmount": "1.00"}],
        "shares": [{"paymentAccountId": "p", "amountDue": "1.00", "taxAmount": "0.20"}],
        "withholdingAmount": "0.00",
    }
    new = migration.renamed(old, migration.CALCULATION_KEYS)
    assert new == {
        "tax_summary": [{"tax_category_id": "c", "rate": "20", "inclusive": False, "taxable_amount": "1.00"}],
        "shares": [{"payment_account_id": "p", "amount_due": "1.00", "tax_amount": "0.20"}],
        "withholding_amount": "0.00",
    }
    assert migration.renamed(new, migration.reverse(migration.CALCULATION_KEYS)) == old
    definition = {"id": "a", "appliesTo": {"productIds": ["x"], "priceIds": []}, "reason": "appliesTo"}
    assert migration.renamed(definition, migration.DEFINITION_KEYS) == {
        "id": "a",
        "applies_to": {"product_ids": ["x"], "price_ids": []},
        "reason": "appliesTo",  # values are data, never renamed
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migration.db'}"
        return
    yield from _postgres_database()


async def _build(url: str) -> tuple[str, str, dict[str, Any]]:
    """At head: a taxed invoice with a group discount (limited to a product), an invoice discount
    and a percent split, issued; and a draft like it. Returns the key, the draft's id and the issued
    invoice as read."""
    engine = make_engine(url)
    async with UnitOfWork(engine) as uow:
        _, key = await create_organization(uow, "Old")
        await uow.commit()
    transport = httpx.ASGITransport(app=create_app(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers={"X-API-KEY": key}) as api:

        async def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await api.post(url, json=body)
            assert response.status_code in (200, 201), response.text
            data: dict[str, Any] = response.json()
            return data

        category = (await post("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]}))["id"]
        product = (await post("/v1/products", {"name": "Seat"}))["id"]
        customer = await post("/v1/customers", {"name": "Acme", "currency": "EUR"})
        accounts = (await api.get(f"/v1/customers/{customer['id']}/payment-accounts")).json()["data"]
        second = await post(f"/v1/customers/{customer['id']}/payment-accounts", {"tradeName": "Second"})
        split = {
            "invoiceAllocationStrategy": "percent_split",
            "allocations": [
                {"paymentAccountId": accounts[0]["id"], "percentage": "60"},
                {"paymentAccountId": second["id"], "percentage": "40"},
            ],
        }
        ids = []
        for _ in range(2):
            invoice = await post(
                "/v1/invoices", {"customerId": customer["id"], "invoiceDate": "2026-03-15", **split}
            )
            base = f"/v1/invoices/{invoice['id']}"
            group = await post(f"{base}/line-item-groups", {"name": "G", "taxCategoryId": category})
            for amount in ("10.01", "3.33"):
                await post(
                    f"{base}/line-items",
                    {"productId": product, "amount": amount, "lineItemGroupId": group["id"]},
                )
            await post(f"{base}/line-items", {"name": "Other", "amount": "5.55", "taxCategoryId": category})
            await post(f"{base}/line-items", {"productId": product, "price": PACKAGE, "usage": "150"})
            await post(f"{base}/line-items", {"productId": product, **SEATS})
            limited = {"type": "amount_discount", "amount": "1.10", "appliesTo": {"productIds": [product]}}
            await post(f"{base}/line-item-groups/{group['id']}/adjustments", limited)
            await post(f"{base}/adjustments", {"type": "percentage_discount", "percentage": "10"})
            ids.append(invoice["id"])
        issued = await post(f"/v1/invoices/{ids[0]}/issue", {})
    await engine.dispose()
    return key, ids[1], issued


async def _old_rows(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    async with engine.connect() as connection:
        line = (
            await connection.execute(sa.text("SELECT tax_key FROM line_items WHERE tax_key IS NOT NULL"))
        ).first()
        invoice = (
            await connection.execute(
                sa.text("SELECT calculation, allocations, adjustments FROM invoices WHERE frozen")
            )
        ).first()
        group = (await connection.execute(sa.text("SELECT adjustments FROM line_item_groups"))).first()
        usage = (
            await connection.execute(
                sa.text("SELECT sub_lines, usage_input FROM line_items WHERE usage_input IS NOT NULL")
            )
        ).all()
    await engine.dispose()
    assert line is not None
    assert invoice is not None
    assert group is not None
    return {"tax_key": line[0], "invoice": invoice, "group": group[0], "usage": usage}


def _json(value: Any) -> Any:
    """A JSON column read with plain SQL: parsed on PostgreSQL, text on SQLite."""
    return json.loads(value) if isinstance(value, str) else value


async def test_round_trip_through_0005(fresh_url: str) -> None:
    upgrade(fresh_url)
    key, draft_id, issued = await _build(fresh_url)
    config = alembic_config(fresh_url)
    command.downgrade(config, "0005")
    old = await _old_rows(fresh_url)
    assert str(old["tax_key"]).endswith("|20|0")
    calculation, allocations, adjustments = (_json(value) for value in old["invoice"])
    assert "taxSummary" in calculation
    assert "paymentAccountId" in allocations[0]
    assert "appliesTo" in adjustments[0]
    group = _json(old["group"])
    assert "productIds" in group[0]["appliesTo"]
    usage = [(_json(sub_lines), _json(given)) for sub_lines, given in old["usage"]]
    assert any("packageSize" in sub["metadata"] for sub_lines, _ in usage for sub in sub_lines)
    assert all("orbType" in sub for sub_lines, _ in usage for sub in sub_lines)
    assert any(given["intervals"] and "startDate" in given["intervals"][0] for _, given in usage)

    command.upgrade(config, "head")
    engine = make_engine(fresh_url)
    transport = httpx.ASGITransport(app=create_app(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers={"X-API-KEY": key}) as api:
        again = (await api.get(f"/v1/invoices/{issued['id']}")).json()
        # a downgrade below 0011 drops the hosted token; upgrading again gives the issued invoice a new one
        links = ("hostedInvoiceUrl", "pdfUrl")
        assert again["hostedInvoiceUrl"] is not None
        assert {k: v for k, v in again.items() if k not in links} == {
            k: v for k, v in issued.items() if k not in links
        }
        before = (await api.get(f"/v1/invoices/{draft_id}")).json()
        for field in FIELDS:
            assert before[field] == issued[field], field
        added = await api.post(f"/v1/invoices/{draft_id}/line-items", json={"name": "New", "amount": "1.00"})
        assert added.status_code == 201, added.text
        after = (await api.get(f"/v1/invoices/{draft_id}")).json()
        listed = next(row for row in (await api.get("/v1/invoices")).json()["data"] if row["id"] == draft_id)
        for field in FIELDS:
            assert listed[field] == after[field], field
        assert after["subtotalAmount"] == str(Decimal(before["subtotalAmount"]) + 1)
    await engine.dispose()
