"""Line item groups of a draft invoice: titled sections whose amounts are the sums of their lines."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from billfold.core.amounts import Amounts
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services import totals
from billfold.services.context import Actor
from billfold.services.errors import NotFound, ValidationFailed
from billfold.services.invoices import amount_columns, lock_editable_invoice
from billfold.services.products import resolve_product


@dataclass(frozen=True, slots=True)
class NewGroup:
    idempotency_key: str
    product_id: uuid.UUID | None = None
    name: str | None = None
    description: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    tax_category_id: uuid.UUID | None = None


class Lookups(Protocol):
    """What a bulk create looks up once per distinct product and tax category for its groups and
    lines (:class:`billfold.services.line_items.Lookups`), with the checks and errors of the look-ups
    made for one group alone."""

    async def product(
        self, uow: UnitOfWork, actor: Actor, product_id: uuid.UUID | None, name: str | None
    ) -> m.Product: ...

    async def tax_category(self, uow: UnitOfWork, actor: Actor, category_id: uuid.UUID) -> None: ...


def check_dates(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed.field("endDate", "must not be before startDate")


# -- groups ------------------------------------------------------------------------------------


async def create_group(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, new: NewGroup
) -> m.LineItemGroup:
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    group = await group_row(uow, actor, invoice, new, invoice.next_group_index)
    await uow.repo.add(group)
    invoice.next_group_index += 1
    invoice.updated_at = utcnow()
    await uow.session.flush()
    return group


async def group_row(
    uow: UnitOfWork, actor: Actor, invoice: m.Invoice, new: NewGroup, position: int
) -> m.LineItemGroup:
    """A new (unsaved) group of ``invoice``, validated: its product, tax category and dates."""
    return m.LineItemGroup(**await group_values(uow, actor, invoice, new, position))


async def group_values(
    uow: UnitOfWork,
    actor: Actor,
    invoice: m.Invoice,
    new: NewGroup,
    position: int,
    lookups: Lookups | None = None,
) -> dict[str, Any]:
    """:func:`group_row`'s validation and every column of the new group, by attribute.

    ``lookups`` (a bulk create's, shared with its lines): its product and tax category are looked up
    once per distinct one in the request, with the same checks and errors, instead of with a query per
    group (which made a bulk create's group cost several of its lines)."""
    if lookups is not None:
        product = await lookups.product(uow, actor, new.product_id, new.name)
        if new.tax_category_id is not None:
            await lookups.tax_category(uow, actor, new.tax_category_id)
    else:
        product = await resolve_product(uow, actor, new.product_id, new.name)
        if new.tax_category_id is not None:
            await known_tax_category(uow, actor, new.tax_category_id)
    start = new.start_date or invoice.period_start
    end = new.end_date or invoice.period_end
    check_dates(start, end)
    return {
        "id": new_id(),
        "organization_id": actor.organization_id,
        "invoice_id": invoice.id,
        "product_id": product.id,
        "position": position,
        "name": new.name or product.name,
        "description": new.description,
        "start_date": start,
        "end_date": end,
        "tax_category_id": new.tax_category_id,
        "adjustments": None,
        "idempotency_key": new.idempotency_key,
        "created_at": utcnow(),
        **amount_columns(Amounts()),
    }


async def get_group(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, group_id: uuid.UUID, field: str = "id"
) -> m.LineItemGroup:
    group = await uow.repo.get(m.LineItemGroup, actor.organization_id, group_id)
    if group is None or group.invoice_id != invoice_id:
        raise NotFound(
            f"line item group {group_id} not found", details={field: "no such group on this invoice"}
        )
    return group


async def lock_group(
    uow: UnitOfWork, actor: Actor, invoice: m.Invoice, group_id: uuid.UUID, field: str = "id"
) -> m.LineItemGroup:
    group = await uow.repo.get_for_update(m.LineItemGroup, actor.organization_id, group_id)
    if group is None or group.invoice_id != invoice.id:
        raise NotFound(
            f"line item group {group_id} not found", details={field: "no such group on this invoice"}
        )
    return group


async def update_group(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, group_id: uuid.UUID, changes: dict[str, Any]
) -> m.LineItemGroup:
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    group = await lock_group(uow, actor, invoice, group_id)
    for name in ("name", "description", "start_date", "end_date"):
        if name in changes:
            if name in ("name", "start_date", "end_date") and changes[name] is None:
                raise ValidationFailed.field(camel(name), "cannot be null")
            setattr(group, name, changes[name])
    check_dates(group.start_date, group.end_date)
    invoice.updated_at = utcnow()
    await uow.session.flush()
    return group


async def delete_group(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, group_id: uuid.UUID) -> None:
    """Delete a group with its lines; their amounts leave the invoice's running sums."""
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    group = await lock_group(uow, actor, invoice, group_id)
    await uow.repo.delete_lines_of_group(group.organization_id, group.id)
    await uow.repo.delete_row(m.LineItemGroup, group.organization_id, group.id)
    await totals.recalculate(uow, actor, invoice)
    if invoice.minimum_line_id is not None:
        await totals.apply_change(uow, actor, invoice, None, None, None)


# -- lines -------------------------------------------------------------------------------------


async def lock_group_for_change(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, group_id: uuid.UUID
) -> tuple[m.Invoice, m.LineItemGroup]:
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    return invoice, await lock_group(uow, actor, invoice, group_id)


async def known_tax_category(uow: UnitOfWork, actor: Actor, category_id: uuid.UUID) -> m.TaxCategory:
    category = await uow.repo.get(m.TaxCategory, actor.organization_id, category_id)
    if category is None:
        raise NotFound("tax category not found", details={"taxCategoryId": "no such tax category"})
    return category


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
