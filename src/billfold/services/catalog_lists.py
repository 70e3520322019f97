"""Cursor-paginated lists of an organization's resources (newest first)."""

from __future__ import annotations

import uuid
from typing import Any

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
    uow: UnitOfWork, actor: Actor, limit: int, after: uuid.UUID | None, archived: bool = False
) -> tuple[list[m.Product], bool]:
    """Active products, or only the archived ones when ``archived``."""
    filters = [m.Product.archived_at.is_not(None) if archived else m.Product.archived_at.is_(None)]
    return await uow.repo.page(m.Product, actor.organization_id, limit=limit, after=after, filters=filters)


async def prices(
    uow: UnitOfWork,
    actor: Actor,
    limit: int,
    after: uuid.UUID | None,
    product_id: uuid.UUID | None,
    archived: bool = False,
) -> tuple[list[m.Price], bool]:
    """Active prices, or only the archived ones when ``archived``; of one product when given."""
    filters: list[Any] = [m.Price.archived_at.is_not(None) if archived else m.Price.archived_at.is_(None)]
    if product_id is not None:
        filters.append(m.Price.product_id == product_id)
    return await uow.repo.page(m.Price, actor.organization_id, limit=limit, after=after, filters=filters)


async def tax_categories(
    uow: UnitOfWork, actor: Actor, limit: int, after: uuid.UUID | None
) -> tuple[list[m.TaxCategory], bool]:
    return await uow.repo.page(m.TaxCategory, actor.organization_id, limit=limit, after=after)
