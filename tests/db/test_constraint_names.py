"""The unique constraint behind an IntegrityError is named alike on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db import models as m
from billfold.db.errors import unique_violation
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization


async def _organization(engine: AsyncEngine) -> uuid.UUID:
    async with UnitOfWork(engine) as uow:
        organization, _ = await create_organization(uow, "Constraint names")
        await uow.commit()
    return organization.id


def _product(organization_id: uuid.UUID, name: str, key: str, row_id: uuid.UUID | None = None) -> m.Product:
    return m.Product(
        id=row_id or new_id(),
        organization_id=organization_id,
        name=name,
        idempotency_key=key,
        created_at=utcnow(),
    )


async def _violation(engine: AsyncEngine, row: m.Base) -> str | None:
    async with UnitOfWork(engine) as uow:
        with pytest.raises(IntegrityError) as caught:
            await uow.repo.insert(row)
    return unique_violation(caught.value)


async def test_unique_constraints_are_named(engine: AsyncEngine) -> None:
    org = await _organization(engine)
    async with UnitOfWork(engine) as uow:
        await uow.repo.insert(_product(org, "Taken", "key-1"))
        await uow.commit()
    assert await _violation(engine, _product(org, "Taken", "key-2")) == "uq_products_name"
    assert await _violation(engine, _product(org, "Other", "key-1")) == "uq_products_idem"


async def test_other_integrity_errors_name_no_unique_constraint(engine: AsyncEngine) -> None:
    org = await _organization(engine)
    row_id = new_id()
    async with UnitOfWork(engine) as uow:
        await uow.repo.insert(_product(org, "First", "key-1", row_id))
        await uow.commit()
    # the primary key: never an expected conflict
    assert await _violation(engine, _product(org, "Second", "key-2", row_id)) is None
    # a foreign key to a customer that does not exist
    entry = m.CreditEntry(
        id=new_id(),
        organization_id=org,
        customer_id=new_id(),
        currency="USD",
        amount=Decimal("1.00"),
        kind="grant",
        created_at=utcnow(),
    )
    assert await _violation(engine, entry) is None
    # NOT NULL
    assert await _violation(engine, _product(org, None, "key-3")) is None  # type: ignore[arg-type]
