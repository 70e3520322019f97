"""The invoice's running sums per cell, as stored (neutral JSON) and as the core's cells.

See :mod:`billfold.core.running` for the rule (covering adjustments split over cells, then lines) and
:mod:`billfold.services.calculation` for when writes use the sums and when they recalculate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from billfold.core.adjustments import Adjustment
from billfold.core.amounts import Amounts
from billfold.core.running import Cell, NotSummable, cell_amounts, covering_order, line_cell, moved
from billfold.core.split import CalculationError
from billfold.core.taxes import TaxKey, TaxRounding
from billfold.db import models as m
from billfold.db.uow import UnitOfWork
from billfold.services.calculation import LineState, Setting, adjustments_of
from billfold.services.errors import ValidationFailed


def tax_key_json(key: TaxKey | None) -> dict[str, Any] | None:
    """A resolved rate as neutral stored data."""
    if key is None:
        return None
    return {"tax_category_id": key.tax_category_id, "rate": str(key.rate), "inclusive": key.inclusive}


def tax_key_of_json(raw: Mapping[str, Any] | None) -> TaxKey | None:
    if not raw:
        return None
    return TaxKey(str(raw["tax_category_id"]), Decimal(str(raw["rate"])), bool(raw["inclusive"]))


def cells_of(sums: Mapping[str, Any] | None) -> list[Cell]:
    """The invoice's running sums (stored as neutral JSON) as the core's cells."""
    return [
        Cell(
            coverage=tuple(raw["adjustment_ids"]),
            tax_key=tax_key_of_json(raw["tax"]),
            subtotal=Decimal(raw["subtotal"]),
            discount=Decimal(raw["discount"]),
            amount=Decimal(raw["amount"]),
            positive=Decimal(raw["positive"]),
            count=int(raw["count"]),
            net=Decimal(raw["net"]),
            tax=Decimal(raw["tax_amount"]),
        )
        for raw in (sums or {}).get("cells", ())
    ]


def sums_json(cells: Sequence[Cell]) -> dict[str, Any]:
    return {
        "cells": [
            {
                "adjustment_ids": list(cell.coverage),
                "tax": tax_key_json(cell.tax_key),
                "subtotal": str(cell.subtotal),
                "discount": str(cell.discount),
                "amount": str(cell.amount),
                "positive": str(cell.positive),
                "count": cell.count,
                "net": str(cell.net),
                "tax_amount": str(cell.tax),
            }
            for cell in cells
        ]
    }


def sums_need_calculation(sums: Mapping[str, Any] | None) -> bool:
    """True when a read must calculate: some line is taxed or covered by a group's or the invoice's
    adjustment (otherwise each line's own stored figures are final)."""
    return any(raw["tax"] or raw["adjustment_ids"] for raw in (sums or {}).get("cells", ()))


def coverage(
    product_id: str | None,
    price_id: str | None,
    group_adjustments: Sequence[Adjustment],
    invoice_adjustments: Sequence[Adjustment],
) -> list[str]:
    """The ids of the covering adjustments that cover a line of this product and price (its group's,
    then the invoice's)."""
    return [
        adjustment.id
        for adjustment in (*group_adjustments, *invoice_adjustments)
        if adjustment.covers(product_id, price_id)
    ]


def move_cells(
    cells: list[Cell],
    state: LineState,
    sign: int,
    group_adjustments: Sequence[Adjustment],
    invoice_adjustments: Sequence[Adjustment],
) -> list[Cell]:
    """``cells`` with one line (``state``) added (``sign`` 1) or taken away (-1)."""
    covered = coverage(state.product_id, state.price_id, group_adjustments, invoice_adjustments)
    cell = line_cell(covered, state.tax_key, state.amounts)
    return moved(cells, cell.name(), cell, sign)


def totals_from_cells(setting: Setting, cells: Sequence[Cell], ordered: Sequence[Adjustment]) -> Amounts:
    """The invoice's amounts from its running sums (raises :class:`NotSummable` when they cannot
    decide: see :mod:`billfold.core.running`)."""
    try:
        return cell_amounts(
            cells,
            ordered,
            exponent=setting.currency.exponent,
            mode=setting.mode,
            per_line_tax=setting.tax_rounding is TaxRounding.PER_LINE,
        )
    except CalculationError as error:
        raise ValidationFailed.field(error.field, error.message) from error


async def covering(
    uow: UnitOfWork, invoice: m.Invoice, invoice_adjustments: tuple[Adjustment, ...], cells: list[Cell]
) -> list[Adjustment]:
    """The covering adjustments in the order they apply; groups are loaded only when a line is covered
    by a group's adjustment (an adjustment that covers no line has no effect)."""
    own = {adjustment.id for adjustment in invoice_adjustments}
    if not any(set(cell.coverage) - own for cell in cells):
        return covering_order((), invoice_adjustments)
    groups = await uow.repo.groups_of_invoice(invoice.organization_id, invoice)
    return covering_order([adjustments_of(g.adjustments) for g in groups], invoice_adjustments)


async def totals_with_line(
    uow: UnitOfWork, setting: Setting, invoice: m.Invoice, group: m.LineItemGroup | None, state: LineState
) -> tuple[Amounts, list[Cell]] | None:
    """The invoice's totals and running sums with one line (``state``) added, as
    :func:`billfold.services.totals.apply_change` stores them; ``None`` when the sums cannot decide
    (:class:`NotSummable`: the invoice is recalculated instead). Writes nothing."""
    invoice_adjustments = adjustments_of(invoice.adjustments)
    group_adjustments = adjustments_of(group.adjustments) if group is not None else ()
    cells = move_cells(cells_of(invoice.running_sums), state, 1, group_adjustments, invoice_adjustments)
    try:
        ordered = await covering(uow, invoice, invoice_adjustments, cells)
        return totals_from_cells(setting, cells, ordered), cells
    except NotSummable:
        return None
