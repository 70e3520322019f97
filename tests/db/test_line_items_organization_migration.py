"""Migration 0019: a line's organization is held by its invoice's foreign key alone. Its own foreign key
to ``organizations`` is gone on both databases (back after a downgrade), the lines already written stay
as they were, and a line whose organization is not its invoice's is still refused."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db.migrate import alembic_config, upgrade
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization
from conftest import served


async def _organization_keys(engine: AsyncEngine) -> list[list[str]]:
    def read(connection: sa.Connection) -> list[list[str]]:
        keys = sa.inspect(connection).get_foreign_keys("line_items")
        return [key["constrained_columns"] for key in keys if key["referred_table"] == "organizations"]

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def _lines(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        found = await connection.execute(
            sa.text("SELECT organization_id, invoice_id, name, total_amount FROM line_items ORDER BY name")
        )
        return [tuple(row) for row in found]


async def test_the_line_keeps_only_its_invoices_key(fresh_url: str) -> None:
    async with served(fresh_url) as (engine, api):
        customer = await api.create("/v1/customers", {"name": "Keyed"})
        lines = [{"name": "A", "amount": "1.50"}, {"name": "B", "quantity": "2", "unitPrice": "0.25"}]
        invoice = await api.create("/v1/invoices", {"customerId": customer["id"], "lineItems": lines})
        added = await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "C", "amount": "3"})
        async with UnitOfWork(engine) as uow:
            other, _ = await create_organization(uow, "Other")
            await uow.commit()
        before = await _lines(engine)
        assert [row[2] for row in before] == ["A", "B", "C"]
        assert await _organization_keys(engine) == []

        await engine.dispose()
        command.downgrade(alembic_config(fresh_url), "0018")
        assert await _organization_keys(engine) == [["organization_id"]]
        assert await _lines(engine) == before
        upgrade(fresh_url)
        assert await _organization_keys(engine) == []
        assert await _lines(engine) == before

        # the invoice's key still refuses a line of another organization than its invoice's
        copy = sa.text(
            "INSERT INTO line_items (organization_id, id, invoice_id, group_id, product_id, position, name,"
            " description, scope, start_date, end_date, pricing, quantity, unit_price, idempotency_key,"
            " created_at, subtotal_amount, discount_amount, adjustment_amount, net_amount, tax_amount,"
            " total_amount, unit_code, amount_places)"
            " SELECT :organization, :id, invoice_id, group_id, product_id, 99, name, description, scope,"
            " start_date, end_date, pricing, quantity, unit_price, 'copied', created_at, subtotal_amount,"
            " discount_amount, adjustment_amount, net_amount, tax_amount, total_amount, unit_code,"
            " amount_places FROM line_items WHERE id = :line"
        ).bindparams(*(sa.bindparam(name, type_=sa.Uuid()) for name in ("organization", "id", "line")))
        line = uuid.UUID(added["id"])
        own = uuid.UUID((await api.get("/v1/organization")).json()["id"])
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(copy, {"organization": other.id, "id": uuid.uuid4(), "line": line})
        async with engine.begin() as connection:  # the same copy under the invoice's organization goes in
            await connection.execute(copy, {"organization": own, "id": uuid.uuid4(), "line": line})
        assert len(await _lines(engine)) == 4
