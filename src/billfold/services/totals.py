"""Keeping an invoice's stored totals right on every write, and calculating it on every read.

See :mod:`billfold.services.calculation` for the rules (fast path, full path, frozen invoices).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy.orm.attributes import set_committed_value

from billfold.core.adjustments import Adjustment
from billfold.core.amounts import Amounts, base_amounts
from billfold.core.calculate import GroupInput, InvoiceResult, LineInput
from billfold.core.credits import CreditGrant, CreditUse
from billfold.core.money import ZERO
from billfold.core.running import Cell, NotSummable, added_up, covering_order, line_cell
from billfold.core.taxes import TaxCategory
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.calculation import (
    GROSS_UP_SCOPE,
    LineState,
    Setting,
    adjustments_of,
    calculate,
    calculation_json,
    line_alone,
    line_tax_key,
    rounding_of,
    shares_json,
    withholding_rates_of,
)
from billfold.services.context import Actor
from billfold.services.credits import credit_grants_and_uses, record_credit_uses
from billfold.services.currencies import currency
from billfold.services.errors import ValidationFailed
from billfold.services.running_sums import (
    cells_of,
    coverage,
    move_cells,
    sums_json,
    sums_need_calculation,
    totals_from_cells,
)
from billfold.services.tax_categories import load_tax_categories

MAX_TOTAL = 10**21  # any invoice amount beyond this is a mistake, not a bill


def amounts_of(row: Any) -> Amounts:
    return Amounts(
        subtotal=row.subtotal_amount,
        discount=row.discount_amount,
        adjustment=row.adjustment_amount,
        net=row.net_amount,
        tax=row.tax_amount,
        total=row.total_amount,
    )


def amount_columns(amounts: Amounts) -> dict[str, object]:
    return {
        "subtotal_amount": amounts.subtotal,
        "discount_amount": amounts.discount,
        "adjustment_amount": amounts.adjustment,
        "net_amount": amounts.net,
        "tax_amount": amounts.tax,
        "total_amount": amounts.total,
    }


def state_of(row: Any) -> LineState:
    """A stored line's figures (as its last write computed them), resolved rate, product and price."""
    return LineState(
        amounts_of(row),
        line_tax_key(row),
        str(row.product_id),
        None if row.price_id is None else str(row.price_id),
    )


async def setting_for(
    uow: UnitOfWork, actor: Actor, invoice: m.Invoice, categories: dict[str, TaxCategory] | None = None
) -> Setting:
    """The organization's rounding and tax categories (``categories``: already read in this
    transaction), and (only when a rate depends on the country or a gross-up needs withholding rates)
    the customer's country and withholding rates."""
    money = currency(invoice.currency)
    if categories is None:
        categories = await load_tax_categories(uow, actor)
    by_country = any(rate.country for category in categories.values() for rate in category.rates)
    country, withholding = None, invoice.withholding_rates
    if by_country or (invoice.recalculate_all and not withholding):
        customer = await uow.repo.get(m.Customer, actor.organization_id, invoice.customer_id)
        if customer is not None:
            country = customer.country
            withholding = withholding or customer.withholding_rates
    default = actor.default_tax_category_id
    return Setting(
        currency=money,
        mode=actor.rounding_mode,
        tax_rounding=rounding_of(actor),
        categories=categories,
        default_tax_category_id=None if default is None else str(default),
        country=country,
        withholding_rates=withholding_rates_of(withholding, money.exponent),
    )


def line_input(row: Any) -> LineInput:
    """A stored line (ORM object or plain row) as the core's input."""
    key = line_tax_key(row)
    plain = row.pricing == "unit_price"
    return LineInput(
        id=str(row.id),
        subtotal=row.subtotal_amount,
        group_id=None if row.group_id is None else str(row.group_id),
        product_id=str(row.product_id),
        price_id=None if row.price_id is None else str(row.price_id),
        tax_category_id=None if key is None else key.tax_category_id,
        adjustments=adjustments_of(row.adjustments),
        quantity=row.quantity if plain else None,
        unit_price=row.unit_price if plain else None,
        gross_up=row.scope == GROSS_UP_SCOPE,
    )


def group_input(row: m.LineItemGroup) -> GroupInput:
    return GroupInput(str(row.id), adjustments=adjustments_of(row.adjustments))


async def apply_change(
    uow: UnitOfWork,
    actor: Actor,
    invoice: m.Invoice,
    group: m.LineItemGroup | None,
    old: LineState | None,
    new: LineState | None,
    *,
    setting: Setting | None = None,
    **extra: object,
) -> None:
    """One line went from ``old`` to ``new`` (added: no ``old``; deleted: no ``new``): bring the
    invoice's stored totals (and the group's running sums) up to date, then the minimum's shortfall."""
    setting = setting or await setting_for(uow, actor, invoice)
    before = old.amounts if old else Amounts()
    after = new.amounts if new else Amounts()
    delta = after - before
    if group is not None:
        await uow.repo.write_values(group, amount_columns(amounts_of(group) + delta))
    if not invoice.recalculate_all:
        invoice_adjustments = adjustments_of(invoice.adjustments)
        group_adjustments = adjustments_of(group.adjustments) if group is not None else ()
        cells = cells_of(invoice.running_sums)
        try:
            if old is not None:
                cells = move_cells(cells, old, -1, group_adjustments, invoice_adjustments)
            if new is not None:
                cells = move_cells(cells, new, 1, group_adjustments, invoice_adjustments)
            ordered = await _covering(uow, invoice, invoice_adjustments, cells)
            totals = totals_from_cells(setting, cells, ordered)
        except NotSummable:
            extra = {**extra, "recalculate_all": True}
        else:
            check_range(totals)
            now = utcnow()
            values = {
                **amount_columns(totals),
                "running_sums": sums_json(cells),
                "last_calculated_at": now,
                "updated_at": now,
            }
            await uow.repo.write_values(invoice, {**values, **extra})
            extra = {}
    if invoice.recalculate_all or extra.get("recalculate_all"):
        await uow.repo.write_values(invoice, {"updated_at": utcnow(), **extra})
        await recalculate(uow, actor, invoice, setting)
    if invoice.minimum_line_id is not None:
        await refresh_minimum(uow, actor, invoice, setting)
    await uow.session.flush()


async def _covering(
    uow: UnitOfWork, invoice: m.Invoice, invoice_adjustments: tuple[Adjustment, ...], cells: list[Cell]
) -> list[Adjustment]:
    """The covering adjustments in the order they apply; groups are loaded only when a line is covered
    by a group's adjustment (an adjustment that covers no line has no effect)."""
    own = {adjustment.id for adjustment in invoice_adjustments}
    if not any(set(cell.coverage) - own for cell in cells):
        return covering_order((), invoice_adjustments)
    groups = await uow.repo.groups_of_invoice(invoice.organization_id, invoice)
    return covering_order([adjustments_of(g.adjustments) for g in groups], invoice_adjustments)


class TotalOutOfRange(ValidationFailed):
    """The invoice's total would reach :data:`MAX_TOTAL` (named ``amount``, the line's, unless the caller
    knows better: a bulk create names its lines)."""


def check_range(totals: Amounts) -> None:
    if abs(totals.subtotal) >= MAX_TOTAL or abs(totals.total) >= MAX_TOTAL:
        raise TotalOutOfRange("the invoice total would be out of range", details={"amount": "out of range"})


async def recalculate(
    uow: UnitOfWork, actor: Actor, invoice: m.Invoice, setting: Setting | None = None
) -> None:
    """Recalculate the invoice from all its lines (the full path) and store its totals; also decide
    whether later writes may use the running sums again."""
    setting = setting or await setting_for(uow, actor, invoice)
    await uow.session.flush()  # a changed line (an ORM object) must be read back as changed
    groups = await uow.repo.groups_of_invoice(invoice.organization_id, invoice)
    rows = await uow.repo.lines_of(invoice.organization_id, invoice.id)
    has_gross_up = any(row.scope == GROSS_UP_SCOPE for row in rows)
    full = has_gross_up
    result = calculate(
        setting,
        [line_input(row) for row in rows],
        [group_input(g) for g in groups],
        adjustments_of(invoice.adjustments),
        invoice_id=invoice.id,
    )
    if has_gross_up:
        gross_up = next(row for row in rows if row.scope == GROSS_UP_SCOPE)
        amount = result.gross_up_amount
        await uow.repo.update_line_values(
            invoice.organization_id,
            gross_up.id,
            {**amount_columns(base_amounts(amount)), "unit_price": amount},
        )
    cells = _cells_of_lines(rows, groups, adjustments_of(invoice.adjustments))
    if not full:
        ordered = covering_order(
            [adjustments_of(g.adjustments) for g in groups], adjustments_of(invoice.adjustments)
        )
        try:
            totals_from_cells(setting, cells, ordered)
        except NotSummable:
            full = True
    check_range(result.amounts)
    now = utcnow()
    await uow.repo.write_values(
        invoice,
        {
            **amount_columns(result.amounts),
            "running_sums": sums_json(cells),
            "recalculate_all": full,
            "last_calculated_at": now,
            "updated_at": now,
        },
    )


def _cells_of_lines(
    rows: Sequence[Any], groups: Sequence[m.LineItemGroup], invoice_adjustments: tuple[Adjustment, ...]
) -> list[Cell]:
    """The running sums of every line but the gross-up line, from their stored (line alone) figures."""
    by_group = {g.id: adjustments_of(g.adjustments) for g in groups}
    lines = []
    for row in rows:
        if row.scope == GROSS_UP_SCOPE:
            continue
        state = state_of(row)
        group_adjustments = by_group.get(row.group_id, ()) if row.group_id is not None else ()
        covered = coverage(state.product_id, state.price_id, group_adjustments, invoice_adjustments)
        lines.append(line_cell(covered, state.tax_key, state.amounts))
    return added_up(lines)


async def refresh_minimum(uow: UnitOfWork, actor: Actor, invoice: m.Invoice, setting: Setting) -> None:
    """Set the minimum line to the shortfall: ``max(0, minimum − Σ subtotal of the other lines)``."""
    line = await uow.repo.get_for_update(m.LineItem, invoice.organization_id, invoice.minimum_line_id)  # type: ignore[arg-type]
    if line is None or invoice.minimum_amount is None:
        return
    covered = invoice.subtotal_amount - line.subtotal_amount
    shortfall = max(ZERO, invoice.minimum_amount - covered)
    places = f".{currency(invoice.currency).exponent}f"
    sub_lines = [
        {
            "id": (line.sub_lines or [{}])[0].get("id") or str(new_id()),
            "type": "minimum_amount",
            "orb_type": "other",
            "name": "Minimum amount",
            "usage": None,
            "amount": format(shortfall, places),
            "metadata": {
                "minimum_amount": format(invoice.minimum_amount, places),
                "minimum_amount_applied": format(shortfall, places),
            },
        }
    ]
    if shortfall == line.subtotal_amount and line.sub_lines == sub_lines:
        return
    old = state_of(line)
    alone = line_alone(
        setting, LineInput(str(line.id), shortfall, product_id=str(line.product_id)), old.tax_key
    )
    new = LineState(alone, old.tax_key, old.product_id, old.price_id)
    await uow.repo.write_values(
        line, {**amount_columns(new.amounts), "unit_price": shortfall, "sub_lines": sub_lines}
    )
    if new.amounts != old.amounts:
        await apply_change(uow, actor, invoice, None, old, new, setting=setting)


def line_view(
    row: Any, fields: Sequence[str], amounts: Amounts, shares: list[dict[str, Any]] | None, credits: Decimal
) -> Any:
    """A line as rendered: the stored row's ``fields``, with the figures of the invoice's calculation.
    A plain namespace, so renderers read its attributes at full speed."""
    view = SimpleNamespace(**dict(zip(fields, row, strict=True)))
    view.subtotal_amount, view.discount_amount, view.adjustment_amount = (
        amounts.subtotal,
        amounts.discount,
        amounts.adjustment,
    )
    view.net_amount, view.tax_amount, view.total_amount = amounts.net, amounts.tax, amounts.total
    view.adjustment_shares, view.credits_applied_amount = shares, credits
    return view


def calculated(
    setting: Setting, invoice: m.Invoice, groups: Sequence[m.LineItemGroup], rows: Sequence[Any]
) -> tuple[InvoiceResult, list[Any]]:
    """A draft's figures, from one pass of the core over all its lines."""
    result = calculate(
        setting,
        [line_input(row) for row in rows],
        [group_input(g) for g in groups],
        adjustments_of(invoice.adjustments),
        invoice_id=invoice.id,
        allocations=invoice.allocations,
    )
    fields = rows[0]._fields if rows else ()
    views = [
        line_view(row, fields, line.amounts, shares_json(line.adjustments), line.credits_applied)
        for row, line in zip(rows, result.lines, strict=True)
    ]
    for group, figures in zip(groups, result.groups, strict=True):
        for name, value in amount_columns(figures.amounts).items():
            set_committed_value(group, name, value)
    return result, views


def _set(invoice: m.Invoice, values: dict[str, Any]) -> None:
    """Change the loaded invoice; the caller's flush writes it (with its other changes, one UPDATE)."""
    for name, value in values.items():
        setattr(invoice, name, value)


def stored_figures_final(invoice: m.Invoice) -> bool:
    """Whether the draft's stored figures are what a calculation would give (no line taxed or covered
    by an adjustment, nothing to recalculate or allocate): then, with no credit to spend, issuing writes
    none of its lines or groups."""
    return not (sums_need_calculation(invoice.running_sums) or invoice.recalculate_all or invoice.allocations)


async def freeze(
    uow: UnitOfWork,
    actor: Actor,
    invoice: m.Invoice,
    day: Any,
    *,
    has_credit: bool = True,
) -> None:
    """At issue: calculate the invoice one last time, with the customer's available credit applied
    (oldest expiring first, up to the amount due), and store every figure; it never changes again.
    The invoice's own figures are set on the loaded row, for the issue's flush to write (its lines,
    groups and credit uses are written now).

    The customer row is locked only when the customer has credit to spend (``has_credit``: the caller
    found a grant holding credit in this currency; then the grants are read under the lock), so two
    invoices of one customer issued at once spend its credit one after the other and no grant is used
    twice, while a customer without credit serializes nothing. Only the grants that hold credit are
    read, never the uses of other invoices."""
    grants: list[CreditGrant] = []
    uses: list[CreditUse] = []
    locked: tuple[list[CreditGrant], list[CreditUse]] | None = None
    if has_credit:
        grants, uses = locked = await credit_grants_and_uses(
            uow, actor, invoice.customer_id, invoice.currency, invoice_id=invoice.id, lock=True
        )
    if not grants and stored_figures_final(invoice):
        # Nothing to spend and nothing the calculation would change: the stored figures are final.
        _set(invoice, {"frozen": True, "calculation": {}, "last_calculated_at": utcnow()})
        return
    setting = await setting_for(uow, actor, invoice)
    groups = await uow.repo.groups_of_invoice(invoice.organization_id, invoice)
    rows = await uow.repo.lines_of(invoice.organization_id, invoice.id)
    result = calculate(
        setting,
        [line_input(row) for row in rows],
        [group_input(g) for g in groups],
        adjustments_of(invoice.adjustments),
        invoice_id=invoice.id,
        credit_grants=grants,
        credit_uses=uses,
        credits_as_of=day,
        allocations=invoice.allocations,
    )
    await uow.repo.update_lines(
        invoice.organization_id,
        [
            {
                "line_id": row.id,
                **amount_columns(line.amounts),
                "credits_applied_amount": line.credits_applied,
                "adjustment_shares": shares_json(line.adjustments),
            }
            for row, line in zip(rows, result.lines, strict=True)
        ],
    )
    for group, figures in zip(groups, result.groups, strict=True):
        await uow.repo.write_values(group, amount_columns(figures.amounts))
    _set(
        invoice,
        {
            **amount_columns(result.amounts),
            "credits_applied_amount": result.credits_applied,
            "calculation": calculation_json(result),
            "frozen": True,
            "last_calculated_at": utcnow(),
        },
    )
    if result.credit_uses:
        await record_credit_uses(
            uow,
            actor,
            invoice.customer_id,
            invoice.id,
            invoice.currency,
            list(result.credit_uses),
            locked_ledger=locked,
        )
