"""Running sums: the invoice's figures worked out from running sums, without its lines.

A *cell* is the set of an invoice's lines that every covering (group- or invoice-level) adjustment and
every tax rule treats alike: the same covering adjustments cover them and they have the same rate. So a
cell is named by its ``coverage`` (the ids of the covering adjustments that cover its lines) and its
``tax_key``.

The rule (README, "Money"). A covering adjustment is computed once on the total it covers, then split
in two steps: first over the covered cells by largest remainder on each cell's positive amount (cells
in :func:`~billfold.core.cells.cell_order`, ties to the earliest), then within each cell over its lines
by largest remainder on their positive amounts (ties to the earliest line). When no covered line is
positive (a minimum's top-up over credit lines) the weights are the line counts: an even split.

Why. Every figure of the invoice then depends only on per-cell sums: the amount a discount sees is the
sum over its cells; each cell's share follows from the cells' sums; the net at each rate is the sum of
its cells; and the tax at a rate (EN 16931) is ``round(Σ net × rate)``. So a write of one line moves
one cell's sums and recomputes the invoice in O(cells × adjustments), never O(lines); the read works
out each line's share (:func:`~billfold.core.cells.allocate_in_cells`) and arrives at exactly the same totals.

What the sums cannot carry: a usage discount (free units are taken from the lines in order and valued
by re-pricing each), an allocation offset (weighted by signed amounts) and a minimum's top-up when no
covered line is positive (after an even split the positive amounts are no longer known). For those
:func:`cell_amounts` raises :class:`NotSummable` and the caller recalculates from the lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from billfold.core.adjustments import DISCOUNT_KINDS, ORB_ORDER, Adjustment, AdjustmentKind
from billfold.core.amounts import Amounts
from billfold.core.cells import cell_order
from billfold.core.money import CONTEXT, RoundingMode, allocate_units, quantize
from billfold.core.split import HUNDRED, from_units, to_units
from billfold.core.taxes import TaxKey, rate_tax_units

SUMMABLE_KINDS = frozenset(
    {
        AdjustmentKind.AMOUNT_DISCOUNT,
        AdjustmentKind.MONETARY_DISCOUNT,
        AdjustmentKind.PERCENTAGE_DISCOUNT,
        AdjustmentKind.MINIMUM,
        AdjustmentKind.MAXIMUM,
    }
)


class NotSummable(Exception):
    """The invoice's figures cannot be worked out from its cells' sums; calculate from the lines."""


@dataclass(frozen=True, slots=True)
class Cell:
    """The running sums of one cell's lines, each line's figures as computed for the line alone (its
    base and its own adjustments): ``subtotal``, ``discount`` (positive), ``amount`` (subtotal +
    the line's adjustments), ``positive`` (Σ of the positive amounts), ``count`` (lines), and the
    lines' own ``net`` and ``tax`` (used when tax is rounded per line and nothing covers the lines)."""

    coverage: tuple[str, ...]
    tax_key: TaxKey | None
    subtotal: Decimal
    discount: Decimal
    amount: Decimal
    positive: Decimal
    count: int
    net: Decimal
    tax: Decimal

    def name(self) -> tuple[tuple[str, ...], TaxKey | None]:
        return self.coverage, self.tax_key


def covering_order(groups: Sequence[Sequence[Adjustment]], invoice: Sequence[Adjustment]) -> list[Adjustment]:
    """The covering adjustments in the order the calculation applies them: each group's (groups in
    order), then the invoice's; within a scope in Orb's order, the given order among equals."""
    ordered: list[Adjustment] = []
    for scope in (*groups, invoice):
        ordered.extend(sorted(scope, key=lambda adjustment: ORB_ORDER[adjustment.kind]))
    return ordered


@dataclass(slots=True)
class _State:
    amount: int
    positive: int


def cell_amounts(
    cells: Sequence[Cell],
    adjustments: Sequence[Adjustment],
    *,
    exponent: int,
    mode: RoundingMode,
    per_line_tax: bool = False,
) -> Amounts:
    """The invoice's amounts from its cells and its covering ``adjustments`` (in
    :func:`covering_order`): subtotal, discount and adjustment from the sums and the adjustments' effect;
    net, tax and total per rate (``round(Σ net × rate)`` at each rate, EN 16931), or, with ``per_line_tax``,
    the lines' own figures (only when no adjustment covers anything: per-line tax depends on each line's
    share). Raises :class:`NotSummable` when the sums cannot decide (see the module docstring)."""
    ordered, units, discount, adjustment = _settle(cells, adjustments, exponent, mode)
    if per_line_tax:
        if adjustments and any(cell.coverage for cell in cells):
            raise NotSummable("per-line tax with covering adjustments")
        net, tax = (
            sum(to_units(c.net, exponent, "net") for c in cells),
            sum(to_units(c.tax, exponent, "tax") for c in cells),
        )
    else:
        net, tax = _taxes(ordered, units, mode)
    zero = from_units(0, exponent)
    subtotal = sum((cell.subtotal for cell in cells), zero)
    lines_discount = sum((cell.discount for cell in cells), zero)
    lines_adjustment = sum((cell.amount - cell.subtotal for cell in cells), zero)
    return Amounts(
        subtotal=subtotal,
        discount=lines_discount + from_units(discount, exponent),
        adjustment=lines_adjustment + from_units(adjustment, exponent),
        net=from_units(net, exponent),
        tax=from_units(tax, exponent),
        total=from_units(net + tax, exponent),
    )


def rate_amounts(
    cells: Sequence[Cell], adjustments: Sequence[Adjustment], *, exponent: int, mode: RoundingMode
) -> dict[TaxKey | None, Decimal]:
    """Σ adjusted amount (subtotal + every adjustment) per rate, after the covering adjustments."""
    ordered, units, _, _ = _settle(cells, adjustments, exponent, mode)
    per_key: dict[TaxKey | None, int] = {}
    for cell, state in zip(ordered, units, strict=True):
        per_key[cell.tax_key] = per_key.get(cell.tax_key, 0) + state.amount
    return {key: from_units(amount, exponent) for key, amount in per_key.items()}


def _settle(
    cells: Sequence[Cell], adjustments: Sequence[Adjustment], exponent: int, mode: RoundingMode
) -> tuple[list[Cell], list[_State], int, int]:
    """The cells in canonical order, their amounts after the covering adjustments, and the adjustments'
    total discount and signed effect (minor units)."""
    ranks = cell_order(cell.name() for cell in cells)
    ordered = sorted(cells, key=lambda cell: ranks[cell.name()])
    units = [
        _State(to_units(cell.amount, exponent, "amount"), to_units(cell.positive, exponent, "amount"))
        for cell in ordered
    ]
    discount = adjustment = 0
    for item in adjustments:
        covered = [i for i, cell in enumerate(ordered) if item.id in cell.coverage and cell.count]
        shares = _shares(item, [units[i] for i in covered], exponent, mode)
        for index, share in zip(covered, shares, strict=True):
            units[index].amount += share
            units[index].positive += share
        adjustment += sum(shares)
        if item.kind in DISCOUNT_KINDS:
            discount -= sum(shares)
    return ordered, units, discount, adjustment


def _taxes(cells: Sequence[Cell], units: Sequence[_State], mode: RoundingMode) -> tuple[int, int]:
    """Σ net and Σ tax (minor units): per rate, the tax on the rate's summed amount."""
    per_key: dict[TaxKey | None, int] = {}
    for cell, state in zip(cells, units, strict=True):
        per_key[cell.tax_key] = per_key.get(cell.tax_key, 0) + state.amount
    net = tax = 0
    for key, amount in per_key.items():
        if key is None:
            net += amount
            continue
        rate_tax = rate_tax_units(amount, key, mode)
        tax += rate_tax
        net += amount - rate_tax if key.inclusive else amount
    return net, tax


def _shares(item: Adjustment, covered: list[_State], exponent: int, mode: RoundingMode) -> list[int]:
    """The covered cells' signed shares of one adjustment, as :mod:`billfold.core.adjustments` computes
    it on the lines (with the two-step split)."""
    kind = item.kind
    if kind not in SUMMABLE_KINDS:
        raise NotSummable(f"{kind} is worked out line by line")
    positives = [state.positive for state in covered]
    if kind is AdjustmentKind.PERCENTAGE_DISCOUNT:
        assert item.percentage is not None
        exact = CONTEXT.divide(CONTEXT.multiply(Decimal(sum(positives)), item.percentage), HUNDRED)
        return [-share for share in _split(int(quantize(exact, 0, mode)), positives)]
    assert item.amount is not None
    value = to_units(item.amount, exponent, "amount")
    if not covered:
        return []
    current = sum(state.amount for state in covered)
    if kind is AdjustmentKind.MINIMUM:
        shortfall = max(value - current, 0)
        if shortfall and not any(positives):
            raise NotSummable("a minimum's top-up over lines none of which is positive")
        return _split(shortfall, positives)
    if kind is AdjustmentKind.MAXIMUM:
        return [-share for share in _split(max(current - value, 0), positives)]
    return [-share for share in _split(min(value, sum(positives)), positives)]


def _split(total: int, positives: list[int]) -> list[int]:
    if not total:
        return [0] * len(positives)
    return allocate_units(total, positives)


def moved(
    cells: Sequence[Cell], name: tuple[tuple[str, ...], TaxKey | None], delta: Cell, sign: int
) -> list[Cell]:
    """``cells`` with ``delta``'s sums added (``sign`` 1) or taken away (-1) in the cell ``name``; a
    cell left with no line is dropped. Taking away what is not there means the sums no longer match the
    lines: :class:`NotSummable` (the caller recalculates from the lines and rebuilds them)."""
    result: list[Cell] = []
    found = False
    for cell in cells:
        if cell.name() == name:
            found = True
            cell = _plus(cell, delta, sign)
            if cell.count < 0:
                raise NotSummable("the running sums lost track of a line")
            if cell.count == 0:
                continue
        result.append(cell)
    if not found:
        if sign < 0:
            raise NotSummable("the running sums lost track of a line")
        result.append(replace(delta, coverage=name[0], tax_key=name[1]))
    return result


def added_up(cells: Iterable[Cell]) -> list[Cell]:
    """Lines' cells (:func:`line_cell`) added up into one cell per name."""
    by_name: dict[tuple[tuple[str, ...], TaxKey | None], Cell] = {}
    for cell in cells:
        name = cell.name()
        current = by_name.get(name)
        by_name[name] = cell if current is None else _plus(current, cell, 1)
    return list(by_name.values())


def _plus(cell: Cell, delta: Cell, sign: int) -> Cell:
    return replace(
        cell,
        subtotal=cell.subtotal + sign * delta.subtotal,
        discount=cell.discount + sign * delta.discount,
        amount=cell.amount + sign * delta.amount,
        positive=cell.positive + sign * delta.positive,
        count=cell.count + sign * delta.count,
        net=cell.net + sign * delta.net,
        tax=cell.tax + sign * delta.tax,
    )


def line_cell(coverage: Sequence[str], key: TaxKey | None, amounts: Amounts) -> Cell:
    """One line's contribution to its cell, from its figures computed alone."""
    amount = amounts.subtotal + amounts.adjustment
    return Cell(
        coverage=tuple(sorted(coverage)),
        tax_key=key,
        subtotal=amounts.subtotal,
        discount=amounts.discount,
        amount=amount,
        positive=amount if amount > 0 else Decimal(0),
        count=1,
        net=amounts.net,
        tax=amounts.tax,
    )
