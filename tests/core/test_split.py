"""The integer largest-remainder split, unit conversions and the percent split over payment accounts."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.money import add as money_add
from billfold.core.money import allocate, allocate_units, to_plain
from billfold.core.split import (
    AccountShare,
    CalculationError,
    DecimalCache,
    PaymentAllocation,
    check_allocations,
    from_units,
    percent_split,
    to_units,
)

D = Decimal
PROPERTY = settings(max_examples=150, deadline=None, database=None)
UNITS = st.integers(min_value=-(10**9), max_value=10**9)
WEIGHTS = st.lists(st.integers(min_value=-(10**7), max_value=10**7), min_size=1, max_size=40)

# -- allocate_units ----------------------------------------------------------------------------------


@PROPERTY
@given(total=UNITS, weights=WEIGHTS, exponent=st.integers(min_value=0, max_value=4))
def test_allocate_units_is_money_allocate_on_minor_units(
    total: int, weights: list[int], exponent: int
) -> None:
    """The integer split is the same as money.allocate on the amounts (the equivalence it relies on)."""
    amounts = [from_units(w, exponent) for w in weights]
    expected = allocate(from_units(total, exponent), amounts, exponent)
    assert [from_units(u, exponent) for u in allocate_units(total, weights)] == expected


@PROPERTY
@given(total=UNITS, weights=WEIGHTS)
def test_allocated_parts_sum_to_the_whole_within_one_unit_of_exact(total: int, weights: list[int]) -> None:
    parts = allocate_units(total, weights)
    assert sum(parts) == total
    magnitudes = [abs(w) for w in weights]
    weight_sum = sum(magnitudes)
    for part, weight in zip(parts, magnitudes, strict=True):
        exact = Fraction(total * weight, weight_sum) if weight_sum else Fraction(total, len(weights))
        assert abs(part - exact) < 1


def test_allocate_units_ties_go_to_the_earliest_part() -> None:
    assert allocate_units(2, [5, 5, 5]) == [1, 1, 0]
    assert allocate_units(-2, [5, 5, 5]) == [-1, -1, 0]
    assert allocate_units(1, [0, 0]) == [1, 0]
    assert allocate_units(0, []) == []
    with pytest.raises(ValueError, match="no parts"):
        allocate_units(1, [])


@pytest.mark.parametrize("total", [5049, 5001, 10**6 + 1])
def test_allocate_units_matches_allocate_with_few_or_many_units_left_over(total: int) -> None:
    weights = [w * 7 + 3 for w in range(100)]
    expected = allocate(from_units(total, 2), [from_units(w, 2) for w in weights], 2)
    assert [from_units(u, 2) for u in allocate_units(total, weights)] == expected


# -- units -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "exponent", "units"),
    [("12.34", 2, 1234), ("-0.05", 2, -5), ("1200", 0, 1200), ("0.001", 3, 1), ("5", 2, 500)],
)
def test_to_units(value: str, exponent: int, units: int) -> None:
    assert to_units(D(value), exponent, "amount") == units


def test_from_units_has_exactly_the_currency_places() -> None:
    assert to_plain(from_units(0, 2)) == "0.00"
    assert to_plain(from_units(5, 2)) == "0.05"
    assert to_plain(from_units(-1234, 3)) == "-1.234"
    assert to_plain(from_units(7, 0)) == "7"


@pytest.mark.parametrize("value", [D("0.005"), D("NaN"), D("Infinity"), 1.5])
def test_to_units_rejects_what_is_not_a_whole_number_of_minor_units(value: object) -> None:
    with pytest.raises(CalculationError) as error:
        to_units(value, 2, "lines[0].subtotalAmount")  # type: ignore[arg-type]
    assert error.value.field == "lines[0].subtotalAmount"


def test_decimal_cache_converts_once() -> None:
    cache = DecimalCache(2)
    first = cache[1234]
    assert first == D("12.34")
    assert cache[1234] is first


def test_error_nests_under_a_path() -> None:
    error = CalculationError("amount", "must be at least 0").at("adjustments[2]")
    assert error.field == "adjustments[2].amount"
    assert error.message == "must be at least 0"
    assert isinstance(error, ValueError)


# -- percent split -----------------------------------------------------------------------------------


def split(net: str, tax: str, credits: str, *percentages: str) -> tuple[AccountShare, ...]:
    allocations = [PaymentAllocation(f"pa{i}", D(p)) for i, p in enumerate(percentages)]
    return percent_split(allocations, net=D(net), tax=D(tax), credits_applied=D(credits), exponent=2)


def test_percent_split_worked_example() -> None:
    shares = split("100.01", "20.00", "10.01", "60", "40")
    assert [(s.net, s.tax, s.total, s.credits_applied, s.amount_due) for s in shares] == [
        (D("60.01"), D("12.00"), D("72.01"), D("6.01"), D("66.00")),
        (D("40.00"), D("8.00"), D("48.00"), D("4.00"), D("44.00")),
    ]


def test_percent_split_thirds() -> None:
    shares = split("0.10", "0.02", "0", "33.34", "33.33", "33.33")
    assert [s.net for s in shares] == [D("0.04"), D("0.03"), D("0.03")]
    assert [s.tax for s in shares] == [D("0.01"), D("0.01"), D("0.00")]
    assert money_add(*(s.total for s in shares)) == D("0.12")


def test_an_account_is_never_asked_for_a_negative_amount() -> None:
    # Net and tax each give their odd cent to the first account: totals 0.02 and 0.00. Credits of the
    # whole 0.02 split 50/50 would leave the second account owing -0.01; the cent moves instead.
    shares = split("0.01", "0.01", "0.02", "50", "50")
    assert [s.total for s in shares] == [D("0.02"), D("0.00")]
    assert [s.credits_applied for s in shares] == [D("0.02"), D("0.00")]
    assert all(s.amount_due >= 0 for s in shares)


@PROPERTY
@given(
    net=st.integers(min_value=-(10**8), max_value=10**8),
    tax_rate=st.integers(min_value=0, max_value=30),
    credit_share=st.fractions(min_value=0, max_value=1),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), min_size=0, max_size=5),
)
def test_percent_split_reconciles_and_sums_to_the_invoice(
    net: int, tax_rate: int, credit_share: Fraction, cuts: list[int]
) -> None:
    tax = net * tax_rate // 100
    total = net + tax
    credits = int(max(total, 0) * credit_share)
    bounds = sorted({0, *cuts, 10_000})
    percentages = [from_units(b - a, 2) for a, b in pairwise(bounds)]
    allocations = [PaymentAllocation(f"pa{i}", p) for i, p in enumerate(percentages)]
    shares = percent_split(
        allocations,
        net=from_units(net, 2),
        tax=from_units(tax, 2),
        credits_applied=from_units(credits, 2),
        exponent=2,
    )
    assert money_add(*(s.net for s in shares)) == from_units(net, 2)
    assert money_add(*(s.tax for s in shares)) == from_units(tax, 2)
    assert money_add(*(s.credits_applied for s in shares)) == from_units(credits, 2)
    for share, percentage in zip(shares, percentages, strict=True):
        assert money_add(share.net, share.tax) == share.total
        assert money_add(share.total, -share.credits_applied) == share.amount_due
        assert abs(Fraction(share.net) - Fraction(net, 100) * Fraction(percentage) / 100) < Fraction(1, 100)
        assert abs(Fraction(share.tax) - Fraction(tax, 100) * Fraction(percentage) / 100) < Fraction(1, 100)
        if total >= 0:
            assert share.amount_due >= 0


@pytest.mark.parametrize(
    ("percentages", "field"),
    [
        ((), "allocations"),
        (("60", "30"), "allocations"),
        (("101", "-1"), "allocations[0].percentage"),
        (("NaN",), "allocations[0].percentage"),
    ],
)
def test_percent_split_validation(percentages: tuple[str, ...], field: str) -> None:
    allocations = [PaymentAllocation(f"pa{i}", D(p)) for i, p in enumerate(percentages)]
    with pytest.raises(CalculationError) as error:
        check_allocations(allocations)
    assert error.value.field == field


def test_percent_split_rejects_an_account_twice() -> None:
    allocations = [PaymentAllocation("pa", D("50")), PaymentAllocation("pa", D("50"))]
    with pytest.raises(CalculationError) as error:
        check_allocations(allocations)
    assert error.value.field == "allocations[1].paymentAccountId"
