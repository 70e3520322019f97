"""Held writes (``UnitOfWork.hold_writes``): the add-line fast path's inserts and updates go at commit,
on PostgreSQL as one statement; each row ends as if every write had been sent on its own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization
from conftest import ApiClient, make_invoice

WRITES = ("INSERT", "UPDATE", "DELETE", "WITH")


def product(organization_id: Any, name: str) -> m.Product:
    return m.Product(
        id=new_id(),
        organization_id=organization_id,
        name=name,
        description=None,
        default_unit_price=None,
        tax_category_id=None,
        idempotency_key=f"held-{name}",
        created_at=utcnow(),
    )


async def test_held_writes_land_at_commit_merged_per_row(engine: AsyncEngine) -> None:
    async with UnitOfWork(engine) as uow:
        organization, _ = await create_organization(uow, "Held")
        existing = product(organization.id, "Existing")
        await uow.repo.insert(existing)
        await uow.commit()
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    async with UnitOfWork(engine) as uow:
        uow.hold_writes(organization.id)
        fresh = product(organization.id, "Fresh")
        await uow.repo.insert(fresh)
        await uow.repo.write_values(fresh, {"description": "inserted, then updated"})
        await uow.repo.write_values(existing, {"description": "first"})
        await uow.repo.write_values(existing, {"default_unit_price": Decimal("2.50")})
        assert existing.description == "first"  # the row takes its values at once
        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        try:
            await uow.commit()
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", capture)
    writes = [s for s in statements if s.lstrip().upper().startswith(WRITES)]
    assert len(writes) == (1 if engine.dialect.name == "postgresql" else 2), writes
    async with UnitOfWork(engine) as uow:
        rows = {
            row.name: (row.description, row.default_unit_price)
            for row in await uow.repo.products_by_names(organization.id, ["Existing", "Fresh"])
        }
    assert rows == {
        "Existing": ("first", Decimal("2.50")),
        "Fresh": ("inserted, then updated", None),
    }


async def test_held_writes_are_dropped_by_a_rollback(engine: AsyncEngine) -> None:
    async with UnitOfWork(engine) as uow:
        organization, _ = await create_organization(uow, "Held rollback")
        await uow.commit()
    async with UnitOfWork(engine) as uow:
        uow.hold_writes(organization.id)
        await uow.repo.insert(product(organization.id, "Never"))
    async with UnitOfWork(engine) as uow:
        assert await uow.repo.product_by_name(organization.id, "Never") is None


async def test_an_add_writes_once_and_reads_back_exactly(api: ApiClient, engine: AsyncEngine) -> None:
    """Through the API: line, group, invoice, idempotency record and the waiting event's payload in one
    statement on PostgreSQL; the invoice, the group, the replay and the event all agree."""
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    group = await api.create(f"{base}/line-item-groups", {"name": "Group"})
    body = {"name": "Item", "quantity": "3", "unitPrice": "12.345", "lineItemGroupId": group["id"]}
    await api.create(f"{base}/line-items", {"name": "Item", "amount": "1.00"})  # its product exists
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        created = await api.post(f"{base}/line-items", json=body, headers={"Idempotency-Key": "held-1"})
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    writes = [s for s in statements if s.upper().startswith(WRITES)]
    if engine.dialect.name == "postgresql":
        assert len(writes) == 1, writes
        for table in ("line_items", "line_item_groups", "invoices", "idempotency_records", "invoice_events"):
            assert f" {table} " in writes[0], table
    assert created.status_code == 201, created.text
    replay = await api.post(f"{base}/line-items", json=body, headers={"Idempotency-Key": "held-1"})
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == created.json()
    read = (await api.get(base)).json()
    assert read["subtotalAmount"] == read["totalAmount"] == "38.04"  # 1.00 + 3 x 12.345 = 37.035 -> 37.04
    (only_group,) = (await api.get(f"{base}/line-item-groups")).json()["data"]
    assert only_group["subtotalAmount"] == "37.04"
    events = (await api.get(f"{base}/events")).json()["data"]
    updated = [e for e in events if e["type"] == "invoice.updated"]
    assert updated[-1]["payload"]["totalAmount"] == "38.04", updated[-1]
