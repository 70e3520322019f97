"""Splitting a rounded line amount over its sub lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.money import CONTEXT, ZERO, RoundingMode, allocate, quantize
from billfold.core.pricing.allocation import cumulative_shares, quantum, shares

D = Decimal
PROPERTY = settings(max_examples=200, deadline=None, database=None)
PARTS = st.lists(st.decimals(min_value=-1000, max_value=1000, places=5), min_size=1, max_size=12)


def total_of(values: list[Decimal]) -> Decimal:
    total = ZERO
    for value in values:
        total = CONTEXT.add(total, value)
    return total


def test_largest_remainder_with_ties_to_the_earliest() -> None:
    assert shares(D("0.01"), [D("0.004"), D("0.004"), D("0.002")], 2) == [D("0.01"), D("0.00"), D("0.00")]
    assert shares(D("0.02"), [D("0.005"), D("0.007"), D("0.005"), D("0.003")], 2) == [
        D("0.01"),
        D("0.01"),
        D("0.00"),
        D("0.00"),
    ]
    assert shares(D("-0.01"), [D("-0.004"), D("-0.004"), D("-0.002")], 2) == [
        D("-0.01"),
        D("0.00"),
        D("0.00"),
    ]


def test_whole_parts_are_shown_unchanged() -> None:
    assert shares(D("20.01"), [D("20.00"), D("0.006")], 2) == [D("20.00"), D("0.01")]


def test_mixed_signs() -> None:
    assert shares(D("0.00"), [D("5.004"), D("-5.004")], 2) == [D("5.00"), D("-5.00")]
    assert shares(D("10.01"), [D("15.005"), D("-4.999")], 2) == [D("15.01"), D("-5.00")]


def test_errors() -> None:
    with pytest.raises(ValueError, match="whole number"):
        shares(D("0.015"), [D("0.015")], 2)
    with pytest.raises(ValueError, match="no parts"):
        shares(D("1.00"), [], 2)
    with pytest.raises(ValueError, match="within one minor unit"):
        shares(D("5.00"), [D("1.00"), D("1.00")], 2)
    with pytest.raises(ValueError, match="exponent"):
        quantum(-1)


@PROPERTY
@given(PARTS, st.sampled_from([0, 2, 3]), st.sampled_from(list(RoundingMode)))
def test_parts_sum_to_the_rounded_total_and_stay_within_a_minor_unit(
    exacts: list[Decimal], exponent: int, mode: RoundingMode
) -> None:
    total = quantize(total_of(exacts), exponent, mode)
    parts = shares(total, exacts, exponent)
    assert total_of(parts) == total
    for part, exact in zip(parts, exacts, strict=True):
        assert abs(CONTEXT.subtract(part, exact)) < quantum(exponent)
        if quantize(exact, exponent, RoundingMode.DOWN) == exact:
            assert part == exact


@PROPERTY
@given(st.lists(st.decimals(min_value=0, max_value=1000, places=2), min_size=1, max_size=12))
def test_same_as_money_allocate_when_the_exact_total_is_whole(exacts: list[Decimal]) -> None:
    total = total_of(exacts)
    assert shares(total, exacts, 2) == allocate(total, exacts, 2)


@PROPERTY
@given(
    st.lists(st.decimals(min_value=0, max_value=1000, places=4), min_size=1, max_size=12),
    st.sampled_from(list(RoundingMode)),
)
def test_cumulative_parts_sum_to_the_rounded_total(exacts: list[Decimal], mode: RoundingMode) -> None:
    parts = cumulative_shares(exacts, 2, mode)
    assert total_of(parts) == quantize(total_of(exacts), 2, mode)
    running = ZERO
    for index, exact in enumerate(exacts):
        running = CONTEXT.add(running, exact)
        assert total_of(parts[: index + 1]) == quantize(running, 2, mode)
