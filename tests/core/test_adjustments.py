"""Adjustments: Orb's order, covering adjustments computed once and split, the zero floor, offsets."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.adjustments import (
    AdjustableLines,
    Adjustment,
    AdjustmentKind,
    AdjustmentResult,
    AdjustmentScope,
    AppliesTo,
    Scope,
    Usage,
    adjust,
    apply_scopes,
    line_usage,
)
from billfold.core.money import CONTEXT, RoundingMode, multiply, quantize
from billfold.core.money import add as money_add
from billfold.core.split import CalculationError, from_units

D = Decimal
K = AdjustmentKind
UP = RoundingMode.HALF_UP
PROPERTY = settings(max_examples=150, deadline=None, database=None)


def run(
    amounts: list[str], *adjustments: Adjustment, **options: object
) -> tuple[tuple[Decimal, ...], tuple[AdjustmentResult, ...]]:
    mode = options.pop("mode", UP)
    assert isinstance(mode, RoundingMode)
    return adjust([D(a) for a in amounts], adjustments, exponent=2, mode=mode, **options)  # type: ignore[arg-type]


def percent(value: str, adjustment_id: str = "pct", **fields: object) -> Adjustment:
    return Adjustment(adjustment_id, K.PERCENTAGE_DISCOUNT, percentage=D(value), **fields)  # type: ignore[arg-type]


def amount_off(value: str, adjustment_id: str = "off", **fields: object) -> Adjustment:
    return Adjustment(adjustment_id, K.AMOUNT_DISCOUNT, amount=D(value), **fields)  # type: ignore[arg-type]


# -- computed once on what it covers -------------------------------------------------------------------


def test_ten_percent_of_three_lines_of_five_cents_is_two_cents() -> None:
    """Computed once: round(0.15 × 10 %) = round(0.015) = 0.02, not 3 × round(0.005) = 0.03."""
    amounts, (result,) = run(["0.05", "0.05", "0.05"], percent("10"))
    assert result.amount == D("-0.02")
    assert amounts == (D("0.04"), D("0.04"), D("0.05"))


def test_half_even_rounds_the_covered_total_once() -> None:
    _, (result,) = run(["0.05", "0.05", "0.05"], percent("10"), mode=RoundingMode.HALF_EVEN)
    assert result.amount == D("-0.02")  # 0.015 -> 0.02 (the even neighbour)
    _, (result,) = run(["0.05", "0.05", "0.15"], percent("10"), mode=RoundingMode.HALF_EVEN)
    assert result.amount == D("-0.02")  # 0.025 -> 0.02


def test_orb_order_regardless_of_the_order_given() -> None:
    """Amount discount before percentage discount, then minimum, then maximum (Orb's order)."""
    adjustments = (
        Adjustment("max", K.MAXIMUM, amount=D("70")),
        percent("10"),
        Adjustment("min", K.MINIMUM, amount=D("75")),
        amount_off("10"),
    )
    amounts, results = run(["100.00"], *adjustments)
    assert [r.adjustment_id for r in results] == ["off", "pct", "min", "max"]
    assert [r.amount for r in results] == [D("-10.00"), D("-9.00"), D("0.00"), D("-11.00")]
    assert amounts == (D("70.00"),)


def test_minimum_tops_up_after_discounts() -> None:
    amounts, results = run(["30.00", "10.00"], amount_off("20"), Adjustment("min", K.MINIMUM, amount=D("50")))
    assert [r.amount for r in results] == [D("-20.00"), D("30.00")]
    assert money_add(*amounts) == D("50.00")
    assert amounts == (D("37.50"), D("12.50"))


def test_minimum_over_lines_at_zero_splits_evenly() -> None:
    amounts, _ = run(["0.00", "0.00", "0.00"], Adjustment("min", K.MINIMUM, amount=D("10")))
    assert amounts == (D("3.34"), D("3.33"), D("3.33"))


def test_maximum_caps_the_covered_total() -> None:
    amounts, (result,) = run(["60.00", "30.00", "-5.00"], Adjustment("max", K.MAXIMUM, amount=D("50")))
    assert result.amount == D("-35.00")
    assert money_add(*amounts) == D("50.00")
    assert amounts[2] == D("-5.00")  # the credit line is not touched
    assert all(a >= 0 for a in amounts[:2])


def test_monetary_discount_is_an_amount_discount() -> None:
    amounts, (result,) = run(["7.00", "3.00"], Adjustment("m", K.MONETARY_DISCOUNT, amount=D("1")))
    assert result.amount == D("-1.00")
    assert amounts == (D("6.30"), D("2.70"))


# -- the zero floor and what cannot apply -------------------------------------------------------------


def test_an_amount_discount_larger_than_what_it_covers_reports_the_rest() -> None:
    amounts, (result,) = run(["3.00", "1.50"], amount_off("10"))
    assert amounts == (D("0.00"), D("0.00"))
    assert result.amount == D("-4.50")
    assert result.unapplied_amount == D("5.50")


def test_a_hundred_percent_discount_gives_zero_never_negative() -> None:
    amounts, (result,) = run(["0.01", "999.99", "-20.00", "0.00"], percent("100"))
    assert amounts == (D("0.00"), D("0.00"), D("-20.00"), D("0.00"))
    assert result.amount == D("-1000.00")
    assert result.unapplied_amount == 0


def test_discounts_leave_credit_lines_alone() -> None:
    amounts, (result,) = run(["10.00", "-4.00"], amount_off("6"))
    assert amounts == (D("4.00"), D("-4.00"))
    assert result.unapplied_amount == 0
    amounts, _ = run(["-4.00"], percent("50"))
    assert amounts == (D("-4.00"),)


def test_an_adjustment_covering_nothing_reports_all_of_it_unapplied() -> None:
    only_b = AppliesTo(product_ids=frozenset({"b"}))
    _, (result,) = run(["10.00"], amount_off("3", applies_to=only_b), product_ids=["a"])
    assert (result.amount, result.unapplied_amount) == (D("0.00"), D("3.00"))


# -- appliesTo ----------------------------------------------------------------------------------------


def test_applies_to_products_and_prices() -> None:
    by_product = percent("50", applies_to=AppliesTo(product_ids=frozenset({"p1"})))
    amounts, _ = run(["10.00", "10.00"], by_product, product_ids=["p1", "p2"])
    assert amounts == (D("5.00"), D("10.00"))
    both = percent("50", applies_to=AppliesTo(frozenset({"p1"}), frozenset({"price-a"})))
    amounts, _ = run(
        ["10.00", "10.00", "10.00"],
        both,
        product_ids=["p1", "p1", "p2"],
        price_ids=["price-a", "price-b", "price-a"],
    )
    assert amounts == (D("5.00"), D("10.00"), D("10.00"))


# -- usage discounts ----------------------------------------------------------------------------------


def plain_usage(quantity: str, unit_price: str) -> Usage | None:
    return line_usage(D(quantity), D(unit_price), None, exponent=2, mode=UP)


def test_usage_discount_values_free_units_by_repricing() -> None:
    free = Adjustment("free", K.USAGE_DISCOUNT, usage=D("20"))
    amounts, (result,) = run(["10.00"], free, usages=[plain_usage("100", "0.1")])
    assert amounts == (D("8.00"),)
    assert (result.amount, result.unapplied_usage) == (D("-2.00"), D("0"))


def test_covering_usage_discount_takes_free_units_in_line_order() -> None:
    free = Adjustment("free", K.USAGE_DISCOUNT, usage=D("150"))
    usages = [plain_usage("100", "0.1"), None, plain_usage("100", "0.2")]
    amounts, (result,) = run(["10.00", "5.00", "20.00"], free, usages=usages)
    assert amounts == (D("0.00"), D("5.00"), D("10.00"))
    assert result.amount == D("-20.00")
    assert result.unapplied_usage == 0


def test_usage_discount_beyond_the_usage_is_reported() -> None:
    free = Adjustment("free", K.USAGE_DISCOUNT, usage=D("30"))
    amounts, (result,) = run(["2.00"], free, usages=[plain_usage("20", "0.1")])
    assert amounts == (D("0.00"),)
    assert result.unapplied_usage == D("10")


def test_usage_discount_with_a_custom_price() -> None:
    def tiered(usage: Decimal) -> Decimal:  # first 10 units at 1.00, the rest at 0.50
        first = min(usage, D(10))
        return quantize(money_add(first, multiply(CONTEXT.subtract(usage, first), D("0.5"))), 2, UP)

    free = Adjustment("free", K.USAGE_DISCOUNT, usage=D("5"))
    amounts, _ = run(["15.00"], free, usages=[Usage(D("20"), tiered)])
    assert amounts == (D("12.50"),)  # the last five units cost 0.50 each


# -- allocation offsets -------------------------------------------------------------------------------


def offset(value: str, adjustment_id: str = "move") -> Adjustment:
    return Adjustment(adjustment_id, K.ALLOCATION_OFFSET, amount=D(value))


def lines_of(*amounts: int) -> AdjustableLines:
    count = len(amounts)
    return AdjustableLines(list(amounts), [None] * count, [None] * count, [None] * count)


def test_an_offset_moves_an_amount_between_a_group_and_a_line() -> None:
    lines = lines_of(1000, 2000, 500)
    scopes = [
        Scope(AdjustmentScope.GROUP, "g", [offset("-3.00")], [0, 1], "groups[0].adjustments"),
        Scope(AdjustmentScope.LINE, "l3", [offset("3.00")], [2], "lines[2].adjustments"),
    ]
    apply_scopes(lines, scopes, exponent=2, mode=UP)
    assert lines.amounts == [900, 1800, 800]
    assert sum(lines.adjustments) == 0
    assert lines.discounts == [0, 0, 0]


def test_offsets_must_net_to_zero() -> None:
    lines = lines_of(1000, 500)
    with pytest.raises(CalculationError, match="net to zero") as error:
        apply_scopes(
            lines,
            [Scope(AdjustmentScope.LINE, "l1", [offset("1.00")], [0], "lines[0].adjustments")],
            exponent=2,
            mode=UP,
        )
    assert error.value.field == "adjustments"


# -- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": K.PERCENTAGE_DISCOUNT, "percentage": D("100.01")}, "percentage"),
        ({"kind": K.PERCENTAGE_DISCOUNT}, "percentage"),
        ({"kind": K.AMOUNT_DISCOUNT, "amount": D("-1")}, "amount"),
        ({"kind": K.MINIMUM, "amount": D("NaN")}, "amount"),
        ({"kind": K.MAXIMUM, "amount": 5.0}, "amount"),
        ({"kind": K.USAGE_DISCOUNT, "usage": D("-1")}, "usage"),
        ({"kind": "discount"}, "type"),
    ],
)
def test_invalid_adjustments_name_the_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(CalculationError) as error:
        Adjustment("a", **fields)  # type: ignore[arg-type]
    assert error.value.field == field
    assert error.value.at("adjustments[1]").field == f"adjustments[1].{field}"


def test_a_kind_given_as_text_becomes_the_enum() -> None:
    adjustment = Adjustment("a", "amount_discount", amount=D("1"))  # type: ignore[arg-type]
    assert adjustment.kind is K.AMOUNT_DISCOUNT


def test_an_amount_finer_than_the_currency_names_the_adjustment() -> None:
    with pytest.raises(CalculationError) as error:
        run(["1.00"], Adjustment("a", K.AMOUNT_DISCOUNT, amount=D("0.001")))
    assert error.value.field == "adjustments[0].amount"


def test_an_invalid_quantity_is_named() -> None:
    with pytest.raises(CalculationError) as error:
        line_usage(D("-1"), D("1"), None, exponent=2, mode=UP)
    assert error.value.field == "quantity"
    assert line_usage(None, D("1"), None, exponent=2, mode=UP) is None
    assert line_usage(D("1"), None, None, exponent=2, mode=UP) is None


# -- properties ---------------------------------------------------------------------------------------

AMOUNTS = st.lists(st.integers(min_value=-5_000, max_value=100_000), min_size=1, max_size=30)


@st.composite
def adjustments(draw: st.DrawFn) -> Adjustment:
    kind = draw(st.sampled_from([K.AMOUNT_DISCOUNT, K.PERCENTAGE_DISCOUNT, K.MINIMUM, K.MAXIMUM]))
    if kind is K.PERCENTAGE_DISCOUNT:
        return Adjustment("a", kind, percentage=draw(st.decimals(min_value=0, max_value=100, places=3)))
    return Adjustment("a", kind, amount=from_units(draw(st.integers(min_value=0, max_value=500_000)), 2))


@PROPERTY
@given(amounts=AMOUNTS, adjustment=adjustments())
def test_one_adjustment_splits_exactly_and_never_takes_a_line_below_zero(
    amounts: list[int], adjustment: Adjustment
) -> None:
    before = [from_units(a, 2) for a in amounts]
    after, (result,) = adjust(before, [adjustment], exponent=2, mode=UP)
    changes = [Fraction(b) - Fraction(a) for a, b in zip(before, after, strict=True)]
    assert sum(changes) == Fraction(result.amount)
    spread_evenly = adjustment.kind is K.MINIMUM and all(a <= 0 for a in amounts)
    for old, new in zip(before, after, strict=True):
        if old >= 0:
            assert new >= 0
        elif not spread_evenly:
            assert new == old  # credit lines are neither discounted nor capped, nor topped up
    if adjustment.kind in (K.AMOUNT_DISCOUNT, K.PERCENTAGE_DISCOUNT):
        assert result.amount <= 0
        positives = [max(Fraction(b), Fraction(0)) for b in before]
        base = sum(positives)
        for change, positive in zip(changes, positives, strict=True):
            exact = Fraction(result.amount) * positive / base if base else Fraction(0)
            assert abs(change - exact) < Fraction(1, 100)
    if adjustment.kind is K.AMOUNT_DISCOUNT:
        assert adjustment.amount is not None
        assert money_add(-result.amount, result.unapplied_amount) == adjustment.amount
