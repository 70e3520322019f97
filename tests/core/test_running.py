"""Running sums: the invoice's figures from per-cell sums equal the full calculation from its lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.adjustments import Adjustment, AdjustmentKind, AppliesTo
from billfold.core.amounts import Amounts
from billfold.core.calculate import GroupInput, InvoiceInput, LineInput, calculate_invoice
from billfold.core.cells import allocate_in_cells
from billfold.core.money import RoundingMode
from billfold.core.running import (
    Cell,
    NotSummable,
    cell_amounts,
    covering_order,
    line_cell,
    moved,
    rate_amounts,
)
from billfold.core.split import allocate_units
from billfold.core.taxes import RoundingPolicy, TaxCategory, TaxKey, TaxRate, TaxRounding

D = Decimal
K = AdjustmentKind
CATEGORIES = {
    "std": TaxCategory("std", (TaxRate(D("20")),)),
    "red": TaxCategory("red", (TaxRate(D("5.5")),)),
    "inc": TaxCategory("inc", (TaxRate(D("19"), inclusive=True),)),
}
KEYS = {name: category.key_for(None) for name, category in CATEGORIES.items()}

subtotals = st.decimals(min_value=D("-30"), max_value=D("300"), places=2)
line_strategy = st.tuples(
    subtotals,
    st.sampled_from([None, "std", "red", "inc"]),
    st.sampled_from(["p1", "p2"]),
    st.sampled_from([None, "g1", "g2"]),
    st.booleans(),  # a line-level 10 % discount
)
adjustment_strategy = st.one_of(
    st.builds(lambda p: (K.PERCENTAGE_DISCOUNT, D(p)), st.sampled_from(["10", "33.3333", "100", "0"])),
    st.builds(lambda a: (K.AMOUNT_DISCOUNT, D(a)), st.sampled_from(["0.01", "5", "77.77", "10000"])),
    st.builds(lambda a: (K.MINIMUM, D(a)), st.sampled_from(["0", "50", "1000"])),
    st.builds(lambda a: (K.MAXIMUM, D(a)), st.sampled_from(["0", "40", "500"])),
)
scoped = st.tuples(adjustment_strategy, st.sampled_from(["invoice", "g1", "g2"]), st.booleans())


def _adjustment(index: int, kind: AdjustmentKind, value: Decimal, only_p1: bool) -> Adjustment:
    field = "percentage" if kind is K.PERCENTAGE_DISCOUNT else "amount"
    applies = AppliesTo(product_ids=frozenset({"p1"})) if only_p1 else None
    return Adjustment(f"a{index}", kind, applies_to=applies, **{field: value})


def _line_alone(line: LineInput, key: TaxKey | None, mode: RoundingMode) -> Amounts:
    alone = LineInput(
        line.id, line.subtotal, tax_category_id=line.tax_category_id, adjustments=line.adjustments
    )
    result = calculate_invoice(
        InvoiceInput(
            2, [alone], rounding=RoundingPolicy(mode, TaxRounding.PER_LINE), tax_categories=CATEGORIES
        )
    )
    return result.lines[0].amounts


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(line_strategy, min_size=0, max_size=12),
    st.lists(scoped, max_size=4),
    st.sampled_from([RoundingMode.HALF_UP, RoundingMode.HALF_EVEN]),
)
def test_cell_sums_give_the_full_calculation(
    raw_lines: list[tuple[Decimal, str | None, str, str | None, bool]],
    raw_adjustments: list[tuple[tuple[AdjustmentKind, Decimal], str, bool]],
    mode: RoundingMode,
) -> None:
    line_discount = Adjustment("own", K.PERCENTAGE_DISCOUNT, percentage=D("10"))
    lines = [
        LineInput(
            f"l{i}",
            subtotal,
            group_id=group,
            product_id=product,
            tax_category_id=category,
            adjustments=(line_discount,) if discounted else (),
        )
        for i, (subtotal, category, product, group, discounted) in enumerate(raw_lines)
    ]
    by_scope: dict[str, list[Adjustment]] = {"invoice": [], "g1": [], "g2": []}
    for index, ((kind, value), scope, only_p1) in enumerate(raw_adjustments):
        by_scope[scope].append(_adjustment(index, kind, value, only_p1))
    groups = [GroupInput(g, adjustments=tuple(by_scope[g])) for g in ("g1", "g2")]
    full = calculate_invoice(
        InvoiceInput(
            2,
            lines,
            groups=groups,
            adjustments=tuple(by_scope["invoice"]),
            rounding=RoundingPolicy(mode, TaxRounding.PER_RATE),
            tax_categories=CATEGORIES,
        )
    )
    # Build the running sums line by line, as the writes do.
    cells: list[Cell] = []
    for line in lines:
        key = None if line.tax_category_id is None else KEYS[line.tax_category_id]
        coverage = [
            a.id
            for a in (*(by_scope[line.group_id] if line.group_id else ()), *by_scope["invoice"])
            if a.covers(line.product_id, line.price_id)
        ]
        cell = line_cell(coverage, key, _line_alone(line, key, mode))
        cells = moved(cells, cell.name(), cell, 1)
    ordered = covering_order([by_scope["g1"], by_scope["g2"]], by_scope["invoice"])
    try:
        summed = cell_amounts(cells, ordered, exponent=2, mode=mode)
    except NotSummable:
        assert any(a.kind is K.MINIMUM for a in ordered)
        return
    assert summed == full.amounts
    per_rate: dict[TaxKey | None, Decimal] = {}
    for line in full.lines:
        per_rate[line.tax_key] = (
            per_rate.get(line.tax_key, D("0")) + line.amounts.subtotal + line.amounts.adjustment
        )
    assert rate_amounts(cells, ordered, exponent=2, mode=mode) == per_rate
    COMPARED.append(len({cell.name() for cell in cells}) > 1 and bool(ordered))


COMPARED: list[bool] = []


def test_the_property_compared_invoices_with_several_cells() -> None:
    assert sum(COMPARED) > 50, COMPARED.count(True)


def test_removing_every_line_empties_the_cells() -> None:
    key = KEYS["std"]
    one = line_cell(["a"], key, Amounts(D("1.00"), net=D("1.00"), tax=D("0.20"), total=D("1.20")))
    cells = moved([], one.name(), one, 1)
    cells = moved(cells, one.name(), one, 1)
    assert cells[0].count == 2
    assert cells[0].amount == D("2.00")
    cells = moved(moved(cells, one.name(), one, -1), one.name(), one, -1)
    assert cells == []


def test_taking_away_a_line_the_sums_never_had_is_not_summable() -> None:
    one = line_cell([], None, Amounts(D("1.00"), net=D("1.00"), total=D("1.00")))
    with pytest.raises(NotSummable):
        moved([], one.name(), one, -1)


def test_a_usage_discount_is_not_summable() -> None:
    cell = line_cell(["u"], None, Amounts(D("5.00"), net=D("5.00"), total=D("5.00")))
    usage = Adjustment("u", K.USAGE_DISCOUNT, usage=D("1"))
    with pytest.raises(NotSummable):
        cell_amounts([cell], [usage], exponent=2, mode=RoundingMode.HALF_UP)


@given(
    st.lists(st.integers(0, 1000), min_size=1, max_size=20),
    st.integers(-5000, 5000),
    st.data(),
)
def test_two_step_split_sums_to_the_whole(weights: list[int], total: int, data: st.DataObject) -> None:
    cells = data.draw(st.lists(st.integers(0, 3), min_size=len(weights), max_size=len(weights)))
    parts = allocate_in_cells(total, weights, cells)
    assert sum(parts) == total
    if len(set(cells)) == 1:
        assert parts == allocate_units(total, weights)
    if any(weights) and total >= 0:
        assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)


def test_worked_example_two_rates_share_a_discount_by_their_sums() -> None:
    """10 % off 3 lines: 0.05 at 20 %, 0.05 at 20 %, 0.05 at 5.5 %: the discount round(0.015) = 0.02
    goes first to the cells (5.5 % with 0.05 ranks before 20 % with 0.10, by category id: exact
    shares 0.0067 and 0.0133, so 0.01 each), then to the lines within each (ties to the earliest).
    A one-step split would have given both cents to the first two lines."""
    lines = [
        LineInput("a", D("0.05"), tax_category_id="std"),
        LineInput("b", D("0.05"), tax_category_id="std"),
        LineInput("c", D("0.05"), tax_category_id="red"),
    ]
    result = calculate_invoice(
        InvoiceInput(
            2,
            lines,
            adjustments=(Adjustment("d", K.PERCENTAGE_DISCOUNT, percentage=D("10")),),
            tax_categories=CATEGORIES,
        )
    )
    assert [line.amounts.adjustment for line in result.lines] == [D("-0.01"), D("0.00"), D("-0.01")]
    assert result.amounts.adjustment == D("-0.02")
