"""Cursor-paginated lists of an organization's resources (newest first)."""

from __future__ import annotations

import uuid

from billfold.db import models as m
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor


async def customers(
    uow: UnitOfWork, actor: Actor, limit: int, after: uuid.UUID | None
) -> tuple[list[m.Customer], bool]:
    return await uow.repo.page(m.Customer, actor.organization_id, limit=limit, after=after)


async def issuing_accounts(
    uow: UnitOfWork, actor: Actor, limit: int, after: uuid.UUID | None
) -> tuple[list[m.IssuingAccount], bool]:
    return await uow.repo.page(m.IssuingAccount, actor.organization_id, limit=limit, after=after)


async def products(
    uow: UnitOfWork, actor: Actor, limit: int, after: uuid.UUID | None
) -> tuple[list[m.Product], bool]:
    return await uow.repo.page(m.Product, actor.organization_id, limit=limit, after=after)


async def prices(
    uow: UnitOfWork, actor: Actor, limit: int, after: uuid.UUID | None, product_id: uuid.UUID | None
) -> tuple[list[m.Price], bool]:
    filters = [] if product_id is None else [m.Price.product_id == product_id]
    return await uow.repo.page(m.Price, actor.organization_id, limit=limit, after=after, filters=filters)


async def tax_categories(
    uow: UnitOfWork, actor: Actor, limit: int, after: uuid.UUID | None
) -> tuple[list[m.TaxCategory], bool]:
    return await uow.repo.page(m.TaxCategory, actor.organization_id, limit=limit, after=after)
