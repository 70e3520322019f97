"""``Repository.write_changes``: what was changed on a loaded row goes as one UPDATE of those columns
only, and the row is clean after it (the unit of work's flush sends nothing more)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization


async def test_only_the_changed_columns_are_written_once(engine: AsyncEngine) -> None:
    async with UnitOfWork(engine) as uow:
        organization, _ = await create_organization(uow, "Write changes")
        product = m.Product(
            id=new_id(),
            organization_id=organization.id,
            name="Before",
            description="kept",
            default_unit_price=Decimal("1.00"),
            tax_category_id=None,
            idempotency_key="write-changes",
            created_at=utcnow(),
        )
        await uow.repo.insert(product)
        await uow.commit()
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN"):
            statements.append(" ".join(statement.split()))

    async with UnitOfWork(engine) as uow:
        loaded = await uow.repo.get_for_update(m.Product, organization.id, product.id)
        assert loaded is not None
        loaded.name = "After"
        loaded.default_unit_price = Decimal("2.50")
        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        try:
            await uow.repo.write_changes(loaded)
            assert loaded not in uow.session.dirty  # settled: the commit's flush has nothing to look at
            await uow.repo.write_changes(loaded)  # nothing changed since: nothing sent
            await uow.session.flush()  # the row is clean: the flush sends nothing either
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", capture)
        await uow.commit()
    assert len(statements) == 1, statements
    (update,) = statements
    assert update.startswith("UPDATE products SET")
    assert "name=" in update.replace(" ", "")
    assert "default_unit_price=" in update.replace(" ", "")
    assert "description" not in update.split("WHERE")[0]
    async with UnitOfWork(engine, readonly=True) as uow:
        read = await uow.repo.get(m.Product, organization.id, product.id)
    assert read is not None
    assert (read.name, read.description, read.default_unit_price) == ("After", "kept", Decimal("2.50"))


async def test_taken_changes_leave_the_row_settled(engine: AsyncEngine) -> None:
    """``take_changes`` (an issue's invoice, written by the numbering statement): the values are the
    row's committed ones and the session no longer lists it as modified, so its commit flushes nothing."""
    async with UnitOfWork(engine) as uow:
        organization, _ = await create_organization(uow, "Take changes")
        await uow.commit()
    async with UnitOfWork(engine) as uow:
        loaded = await uow.repo.organization(organization.id)
        loaded.name = "Renamed"
        assert loaded in uow.session.dirty
        assert uow.repo.take_changes(loaded) == {"name": "Renamed"}
        assert loaded not in uow.session.dirty
        assert not uow.session.is_modified(loaded)
        assert loaded.name == "Renamed"


def test_every_mapped_attribute_is_named_as_its_column() -> None:
    """``write_changes`` and ``take_changes`` write an attribute to the column of its name."""
    for mapper in m.Base.registry.mappers:
        for prop in mapper.column_attrs:
            assert [column.name for column in prop.columns] == [prop.key], (mapper.class_, prop.key)
