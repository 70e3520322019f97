"""The product catalog. Every group and line has a product: given, found by name, or created by name.

A product may be archived (Stripe's ``active: false``): it stays readable, every line and group that
already names it keeps it (issued invoices never change), but a new line or group may not use it, by id
or by name: a line naming an archived product is refused with a 409 ``product_archived`` rather than
creating a second product of the same name. Unarchiving makes it usable again.
"""

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


def ensure_active(product: m.Product, field: str = "productId") -> m.Product:
    """``product`` if it is not archived; else a 409 ``product_archived`` naming ``field``."""
    if product.archived_at is not None:
        reason = f"product {product.name!r} is archived; unarchive it to use it on new lines"
        raise Conflict(
            f"product {product.id} ({product.name!r}) is archived and cannot be used on new lines",
            code="product_archived",
            details={field: reason},
        )
    return product


async def usable_product(
    uow: UnitOfWork, actor: Actor, product_id: uuid.UUID, field: str = "productId"
) -> m.Product:
    """The organization's product (404 naming ``field``), refused if archived (409 naming ``field``)."""
    return ensure_active(await get_product(uow, actor, product_id, field), field)


async def resolve_product(
    uow: UnitOfWork,
    actor: Actor,
    product_id: uuid.UUID | None,
    name: str | None,
    *,
    allow_archived: bool = False,
) -> m.Product:
    """The product given by id; else the one with this name; else a new product of that name (as Orb).

    An archived product, by id or by name, is refused (409 naming ``productId`` or ``name``) unless
    ``allow_archived`` (Billfold's own managed lines, such as an invoice minimum's shortfall)."""
    if product_id is not None:
        found = await get_product(uow, actor, product_id)
        return found if allow_archived else ensure_active(found)
    if not name:
        raise ValidationFailed(
            "name or productId is required",
            details={"name": "name or productId is required", "productId": "name or productId is required"},
        )
    existing = await uow.repo.product_by_name(actor.organization_id, name)
    if existing is not None:
        return existing if allow_archived else ensure_active(existing, "name")
    return await new_product(uow, actor, name)


async def new_product(uow: UnitOfWork, actor: Actor, name: str) -> m.Product:
    """A new product of this name (when a line names one the organization does not have); the one a
    concurrent request made meanwhile, if any (it is not checked for being archived: callers check)."""
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


async def set_product_archived(
    uow: UnitOfWork, actor: Actor, product_id: uuid.UUID, *, archived: bool
) -> m.Product:
    """Archive or unarchive a product; doing it twice changes nothing (the first ``archivedAt`` stays)."""
    product = await uow.repo.get_for_update(m.Product, actor.organization_id, product_id)
    if product is None:
        raise NotFound.resource("product", product_id)
    if archived and product.archived_at is None:
        await uow.repo.write_values(product, {"archived_at": utcnow()})
    elif not archived and product.archived_at is not None:
        await uow.repo.write_values(product, {"archived_at": None})
    return product
