"""The line queries' read for a new line: the invoice row-locked, with the organization's tax
categories and the product of the line's name, in one statement and scoped by organization."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db import models as m
from billfold.db.uow import UnitOfWork
from conftest import ApiClient, make_invoice, new_api_key


async def _organization_of(engine: AsyncEngine, invoice_id: uuid.UUID) -> uuid.UUID:
    async with UnitOfWork(engine, readonly=True) as uow:
        statement = select(m.Invoice.organization_id).where(m.Invoice.id == invoice_id)
        organization_id: uuid.UUID = (await uow.session.execute(statement)).scalar_one()
    return organization_id


async def test_one_statement_reads_the_invoice_its_categories_and_the_named_product(
    api: ApiClient, engine: AsyncEngine
) -> None:
    invoice_id = uuid.UUID(str((await make_invoice(api))["id"]))
    standard = {"name": "VAT", "rates": [{"rate": "21"}, {"rate": "19", "country": "DE"}]}
    reduced = {"name": "Reduced", "rates": [{"rate": "7.5", "inclusive": True}]}
    for category in (standard, reduced):
        await api.create("/v1/tax-categories", category)
    widget = await api.create("/v1/products", {"name": "Widget Ünïcode"})
    other = ApiClient(api.raw, await new_api_key(engine, "Another organization"))
    await other.create("/v1/products", {"name": "Only elsewhere"})
    await other.create("/v1/tax-categories", {"name": "Theirs", "rates": [{"rate": "5"}]})
    organization_id = await _organization_of(engine, invoice_id)
    other_id = await _organization_of(engine, uuid.UUID(str((await make_invoice(other))["id"])))
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    async with UnitOfWork(engine) as uow:
        expected = await uow.repo.tax_categories_of(organization_id)
        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        try:
            read = await uow.repo.lock_invoice_for_line(organization_id, invoice_id, "Widget Ünïcode")
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", capture)
        assert read is not None
        assert len(statements) == 1
        if engine.dialect.name == "postgresql":
            assert "FOR UPDATE OF invoices" in statements[0]
        assert read.invoice.id == invoice_id
        assert read.product is not None
        assert str(read.product.id) == widget["id"]
        assert [(c.id, c.name, c.rates) for c in read.categories] == [tuple(row) for row in expected]
        assert {c.name for c in read.categories} == {"VAT", "Reduced"}
        # a name the organization has no product of (another organization's does not count)
        elsewhere = await uow.repo.lock_invoice_for_line(organization_id, invoice_id, "Only elsewhere")
        assert elsewhere is not None
        assert elsewhere.product is None
        unnamed = await uow.repo.lock_invoice_for_line(organization_id, invoice_id, None)
        assert unnamed is not None
        assert unnamed.product is None
        assert len(unnamed.categories) == 2
        # another organization never gets this invoice
        assert await uow.repo.lock_invoice_for_line(other_id, invoice_id, "Widget Ünïcode") is None
        assert await uow.repo.lock_invoice_for_line(organization_id, uuid.uuid4(), None) is None


async def test_an_organization_without_categories_reads_none(api: ApiClient, engine: AsyncEngine) -> None:
    invoice_id = uuid.UUID(str((await make_invoice(api))["id"]))
    organization_id = await _organization_of(engine, invoice_id)
    async with UnitOfWork(engine) as uow:
        read = await uow.repo.lock_invoice_for_line(organization_id, invoice_id, "Nothing yet")
    assert read is not None
    assert read.categories == []
    assert read.product is None


async def test_a_grouped_read_locks_the_group_of_that_invoice_only(
    api: ApiClient, engine: AsyncEngine
) -> None:
    invoice = await make_invoice(api)
    second = await make_invoice(api)
    invoice_id = uuid.UUID(str(invoice["id"]))
    group = await api.create(f"/v1/invoices/{invoice_id}/line-item-groups", {"name": "Seats"})
    elsewhere = await api.create(f"/v1/invoices/{second['id']}/line-item-groups", {"name": "Theirs"})
    organization_id = await _organization_of(engine, invoice_id)
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE goes with the first statement
            statements.append(" ".join(statement.split()))

    async with UnitOfWork(engine) as uow:
        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        try:
            read = await uow.repo.lock_invoice_for_line(
                organization_id, invoice_id, None, uuid.UUID(str(group["id"]))
            )
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", capture)
        assert read is not None
        assert read.group is not None
        assert str(read.group.id) == group["id"]
        assert len(statements) == 1
        if engine.dialect.name == "postgresql":
            assert "FOR UPDATE OF invoices, line_item_groups" in statements[0]
        # another invoice's group, or no group at all: nothing is read
        for group_id in (uuid.UUID(str(elsewhere["id"])), uuid.uuid4()):
            assert await uow.repo.lock_invoice_for_line(organization_id, invoice_id, None, group_id) is None
