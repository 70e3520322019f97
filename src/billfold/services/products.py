"""The product catalog. Every group and line has a product: given, found by name, or created by name."""

from __future__ import annotations

import uuid
from decimal import Decimal

from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.errors import Conflict, NotFound, ValidationFailed
from billfold.services.tax_categories import get_tax_category


async def create_product(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str,
    idempotency_key: str,
    description: str | None = None,
    default_unit_price: Decimal | None = None,
    tax_category: str | None = None,
    tax_category_id: uuid.UUID | None = None,
) -> m.Product:
    """A catalog product. ``tax_category`` is a free-text label kept as given; ``tax_category_id`` is
    the tax category (one of the organization's, else a 404 naming ``taxCategoryId``) that lines of
    this product are taxed in when neither the line nor its group names one."""
    if tax_category_id is not None:
        await get_tax_category(uow, actor, tax_category_id, field="taxCategoryId")
    if await uow.repo.product_by_name(actor.organization_id, name) is not None:
        raise Conflict(
            f"a product named {name!r} already exists",
            code="duplicate_product_name",
            details={"name": "already used by another product"},
        )
    product = m.Product(
        id=new_id(),
        organization_id=actor.organization_id,
        name=name,
        description=description,
        default_unit_price=default_unit_price,
        tax_category=tax_category,
        tax_category_id=tax_category_id,
        idempotency_key=idempotency_key,
        created_at=utcnow(),
    )
    await uow.repo.add(product)
    return product


async def get_product(
    uow: UnitOfWork, actor: Actor, product_id: uuid.UUID, field: str = "productId"
) -> m.Product:
    product = await uow.repo.get(m.Product, actor.organization_id, product_id)
    if product is None:
        raise NotFound(f"product {product_id} not found", details={field: "no such product"})
    return product


async def resolve_product(
    uow: UnitOfWork, actor: Actor, product_id: uuid.UUID | None, name: str | None
) -> m.Product:
    """The product given by id; else the one with this name; else a new product of that name (as Orb)."""
    if product_id is not None:
        return await get_product(uow, actor, product_id)
    if not name:
        raise ValidationFailed(
            "name or productId is required",
            details={"name": "name or productId is required", "productId": "name or productId is required"},
        )
    existing = await uow.repo.product_by_name(actor.organization_id, name)
    if existing is not None:
        return existing
    return await uow.repo.product_by_name_or_insert(
        {
            "id": new_id(),
            "organization_id": actor.organization_id,
            "name": name,
            "description": None,
            "default_unit_price": None,
            "tax_category": None,
            "idempotency_key": f"auto-{new_id().hex}",
            "created_at": utcnow(),
        }
    )
