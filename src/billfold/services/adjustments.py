"""Adjustments on a line, a group or the invoice (Orb's kinds plus Aira's monetary discount and
allocation offset), stored as given and applied by the invoice calculation.

A line's own adjustments change only that line. A group's or the invoice's cover several lines
(computed once on the covered total, split by largest remainder over cells, then lines): adding or
removing one recalculates the invoice once and rebuilds its running sums per cell, after which line
writes move those sums (:mod:`billfold.services.calculation`).

An ``appliesTo`` filter names the organization's own products and prices only: an unknown id, or another
organization's, is a 404 naming it (``appliesTo.productIds[0]``) and nothing is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm.attributes import set_committed_value

from billfold.core.adjustments import AdjustmentKind
from billfold.core.money import Currency, to_plain_normalized
from billfold.core.split import CalculationError
from billfold.db import models as m
from billfold.db.ids import new_id
from billfold.db.uow import UnitOfWork
from billfold.services import totals
from billfold.services.calculation import adjustment_of
from billfold.services.context import Actor
from billfold.services.currencies import check_fits, currency
from billfold.services.errors import NotFound, ValidationFailed
from billfold.services.groups import lock_group_for_change
from billfold.services.invoices import lock_editable_invoice
from billfold.services.line_items import lock_line_for_change, refigure


@dataclass(frozen=True, slots=True)
class NewAdjustment:
    type: str
    amount: Decimal | None = None
    percentage: Decimal | None = None
    quantity: Decimal | None = None
    product_ids: tuple[uuid.UUID, ...] = ()
    price_ids: tuple[uuid.UUID, ...] = ()
    reason: str | None = None


def _stored(new: NewAdjustment, money: Currency, *, line_level: bool) -> dict[str, Any]:
    """The adjustment as stored: validated by the core, neutral (snake_case, decimal strings)."""
    if new.type == AdjustmentKind.ALLOCATION_OFFSET and not line_level:
        raise ValidationFailed.field(
            "type", "an allocation_offset belongs to a line (or a group, as a line's)"
        )
    if new.amount is not None:
        check_fits(new.amount, money)
    applies = None
    if new.product_ids or new.price_ids:
        applies = {
            "product_ids": [str(i) for i in new.product_ids],
            "price_ids": [str(i) for i in new.price_ids],
        }
    raw: dict[str, Any] = {
        "id": str(new_id()),
        "type": new.type,
        "amount": None if new.amount is None else to_plain_normalized(new.amount),
        "percentage": None if new.percentage is None else to_plain_normalized(new.percentage),
        "quantity": None if new.quantity is None else to_plain_normalized(new.quantity),
        "applies_to": applies,
        "reason": new.reason,
    }
    try:
        adjustment_of(raw)
    except CalculationError as error:
        raise ValidationFailed.field(error.field, error.message) from error
    return raw


async def _check_filters(uow: UnitOfWork, actor: Actor, new: NewAdjustment) -> None:
    """A 404 naming each ``appliesTo`` id that is not one of the organization's products or prices
    (another organization's ids included), as for any other unknown id in a body; one query per list."""
    missing: list[tuple[str, str, uuid.UUID]] = []
    for model, ids, field, kind in (
        (m.Product, new.product_ids, "productIds", "product"),
        (m.Price, new.price_ids, "priceIds", "price"),
    ):
        found = await uow.repo.catalog_ids_found(model, actor.organization_id, ids)
        missing += [
            (f"appliesTo.{field}[{index}]", kind, value)
            for index, value in enumerate(ids)
            if value not in found
        ]
    if missing:
        _, kind, value = missing[0]
        details = {field: f"no such {kind}" for field, kind, _ in missing}
        raise NotFound(f"{kind} {value} not found", details=details)


def _without(items: list[dict[str, Any]] | None, adjustment_id: uuid.UUID) -> list[dict[str, Any]]:
    kept = [item for item in items or [] if item["id"] != str(adjustment_id)]
    if len(kept) == len(items or []):
        raise NotFound(
            f"adjustment {adjustment_id} not found", details={"adjustmentId": "no such adjustment"}
        )
    return kept


async def add_to_invoice(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, new: NewAdjustment) -> None:
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    raw = _stored(new, currency(invoice.currency), line_level=False)
    await _check_filters(uow, actor, new)
    await _set_invoice(uow, actor, invoice, [*(invoice.adjustments or []), raw])


async def remove_from_invoice(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, adjustment_id: uuid.UUID
) -> None:
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    await _set_invoice(uow, actor, invoice, _without(invoice.adjustments, adjustment_id))


async def _set_invoice(
    uow: UnitOfWork, actor: Actor, invoice: m.Invoice, items: list[dict[str, Any]]
) -> None:
    await uow.repo.write_values(invoice, {"adjustments": items or None, "recalculate_all": True})
    await totals.recalculate(uow, actor, invoice)
    await uow.session.flush()


async def add_to_group(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, group_id: uuid.UUID, new: NewAdjustment
) -> None:
    invoice, group = await lock_group_for_change(uow, actor, invoice_id, group_id)
    raw = _stored(new, currency(invoice.currency), line_level=False)
    await _check_filters(uow, actor, new)
    await _set_group(uow, actor, invoice, group, [*(group.adjustments or []), raw])


async def remove_from_group(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, group_id: uuid.UUID, adjustment_id: uuid.UUID
) -> None:
    invoice, group = await lock_group_for_change(uow, actor, invoice_id, group_id)
    await _set_group(uow, actor, invoice, group, _without(group.adjustments, adjustment_id))


async def _set_group(
    uow: UnitOfWork, actor: Actor, invoice: m.Invoice, group: m.LineItemGroup, items: list[dict[str, Any]]
) -> None:
    await uow.repo.write_values(group, {"adjustments": items or None})
    set_committed_value(invoice, "recalculate_all", True)
    await totals.recalculate(uow, actor, invoice)
    await uow.session.flush()


async def add_to_line(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID, new: NewAdjustment
) -> None:
    invoice, group, line = await lock_line_for_change(uow, actor, invoice_id, line_id)
    raw = _stored(new, currency(invoice.currency), line_level=True)
    await _check_filters(uow, actor, new)
    await _set_line(uow, actor, invoice, group, line, [*(line.adjustments or []), raw])


async def remove_from_line(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID, adjustment_id: uuid.UUID
) -> None:
    invoice, group, line = await lock_line_for_change(uow, actor, invoice_id, line_id)
    await _set_line(uow, actor, invoice, group, line, _without(line.adjustments, adjustment_id))


async def _set_line(
    uow: UnitOfWork,
    actor: Actor,
    invoice: m.Invoice,
    group: m.LineItemGroup | None,
    line: m.LineItem,
    items: list[dict[str, Any]],
) -> None:
    old = totals.state_of(line)
    line.adjustments = items or None
    await refigure(uow, actor, invoice, group, line, old)
