"""Money primitives: the one rounding function, fixed-point text, and largest-remainder allocation."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.money import (
    Currency,
    CurrencyMismatchError,
    Money,
    RoundingMode,
    allocate,
    quantize,
    to_plain,
    to_plain_normalized,
)
from billfold.core.money import add as money_add

D = Decimal

# -- quantize --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "exponent", "half_up", "half_even"),
    [
        ("2.5", 0, "3", "2"),
        ("3.5", 0, "4", "4"),
        ("0.5", 0, "1", "0"),
        ("-0.5", 0, "-1", "-0"),
        ("-2.5", 0, "-3", "-2"),
        ("-3.5", 0, "-4", "-4"),
        ("0.125", 2, "0.13", "0.12"),
        ("0.135", 2, "0.14", "0.14"),
        ("-0.125", 2, "-0.13", "-0.12"),
        ("-0.135", 2, "-0.14", "-0.14"),
        ("0.005", 2, "0.01", "0.00"),
        ("-0.005", 2, "-0.01", "-0.00"),
        ("0.015", 2, "0.02", "0.02"),
        ("1.0005", 3, "1.001", "1.000"),
        ("1.0015", 3, "1.002", "1.002"),
        ("0.124999999999", 2, "0.12", "0.12"),
        ("0.125000000001", 2, "0.13", "0.13"),
        ("12345678901234567.885", 2, "12345678901234567.89", "12345678901234567.88"),
        ("12345678901234567.895", 2, "12345678901234567.90", "12345678901234567.90"),
        # Wider than the default 28-digit context: the result must not depend on it.
        (
            "123456789012345678901234567890.125",
            2,
            "123456789012345678901234567890.13",
            "123456789012345678901234567890.12",
        ),
    ],
)
def test_quantize_half_up_and_half_even(value: str, exponent: int, half_up: str, half_even: str) -> None:
    up = quantize(D(value), exponent, RoundingMode.HALF_UP)
    even = quantize(D(value), exponent, RoundingMode.HALF_EVEN)
    assert up == D(half_up)
    assert even == D(half_even)
    # The result carries exactly the currency's places.
    assert up.as_tuple().exponent == -exponent
    assert even.as_tuple().exponent == -exponent
    assert to_plain(up) == to_plain(D(half_up))
    assert to_plain(even) == to_plain(D(half_even))


@pytest.mark.parametrize(
    ("value", "exponent", "expected"),
    [("5", 2, "5.00"), ("5", 0, "5"), ("1.1", 3, "1.100"), ("-7", 2, "-7.00"), ("0", 3, "0.000")],
)
def test_quantize_pads_to_the_exponent(value: str, exponent: int, expected: str) -> None:
    assert to_plain(quantize(D(value), exponent, RoundingMode.HALF_UP)) == expected


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [
        (RoundingMode.UP, "1.001", "1.01"),
        (RoundingMode.UP, "-1.001", "-1.01"),
        (RoundingMode.DOWN, "1.009", "1.00"),
        (RoundingMode.DOWN, "-1.009", "-1.00"),
    ],
)
def test_quantize_up_and_down(mode: RoundingMode, value: str, expected: str) -> None:
    assert quantize(D(value), 2, mode) == D(expected)


def test_quantize_ignores_the_global_context() -> None:
    value = D("123456789012345678901234567890.125")
    expected = quantize(value, 2, RoundingMode.HALF_UP)
    with decimal.localcontext() as context:
        context.prec = 5
        context.rounding = decimal.ROUND_FLOOR
        context.traps[decimal.Inexact] = True
        assert quantize(value, 2, RoundingMode.HALF_UP) == expected
        assert quantize(D("0.125"), 2, RoundingMode.HALF_EVEN) == D("0.12")
        assert quantize(D("-0.125"), 2, RoundingMode.HALF_UP) == D("-0.13")


# -- fixed-point text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("1E-12"), "0.000000000001"),
        (D("-1E-12"), "-0.000000000001"),
        (D("1E+5"), "100000"),
        (D("1.5E+3"), "1500"),
        (D("-0"), "0"),
        (D("-0.00"), "0.00"),
        (D("0E-12"), "0.000000000000"),
        (D("0E+3"), "0"),
        (D("1.50"), "1.50"),
        (D("12345678901234567.891234567891"), "12345678901234567.891234567891"),
        (D("1.2345678901234567891234567891E+16"), "12345678901234567.891234567891"),
        (D("1E+30"), "1000000000000000000000000000000"),
    ],
)
def test_to_plain_never_uses_exponents(value: Decimal, text: str) -> None:
    assert to_plain(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("1.500"), "1.5"),
        (D("100"), "100"),
        (D("1E+2"), "100"),
        (D("100.000"), "100"),
        (D("0.000"), "0"),
        (D("-0"), "0"),
        (D("-0.000"), "0"),
        (D("-0.50"), "-0.5"),
        (D("0.000000000001000"), "0.000000000001"),
        (D("1E-12"), "0.000000000001"),
        (D("12345678901234567.891234567891"), "12345678901234567.891234567891"),
        (D("999999999999999999.999999999999"), "999999999999999999.999999999999"),
    ],
)
def test_to_plain_normalized(value: Decimal, text: str) -> None:
    assert to_plain_normalized(value) == text


@settings(max_examples=200, database=None, derandomize=True)
@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, min_value=D("-1E+30"), max_value=D("1E+30"), places=None
    )
)
def test_to_plain_is_fixed_point_and_exact(value: Decimal) -> None:
    for text in (to_plain(value), to_plain_normalized(value)):
        assert "E" not in text.upper()
        assert not text.startswith("-0") or not D(text).is_zero()
        assert D(text) == value


# -- Money -----------------------------------------------------------------------------------------

USD = Currency("USD", 2)
EUR = Currency("EUR", 2)


def test_money_adds_within_one_currency_only() -> None:
    assert (Money(D("1.10"), USD) + Money(D("2.205"), USD)).amount == D("3.305")
    assert (Money(D("1.10"), USD) - Money(D("2.20"), USD)).amount == D("-1.10")
    assert Money(D("0.125"), USD).rounded(RoundingMode.HALF_EVEN).amount == D("0.12")
    with pytest.raises(CurrencyMismatchError):
        _ = Money(D("1"), USD) + Money(D("1"), EUR)
    with pytest.raises(CurrencyMismatchError):
        _ = Money(D("1"), USD) - Money(D("1"), EUR)


@pytest.mark.parametrize(("exponent", "quantum"), [(0, "1"), (2, "0.01"), (3, "0.001"), (4, "0.0001")])
def test_currency_quantum(exponent: int, quantum: str) -> None:
    assert Currency("X", exponent).quantum == D(quantum)


# -- allocate --------------------------------------------------------------------------------------


def ds(*values: str | int) -> list[Decimal]:
    return [D(str(v)) for v in values]


@pytest.mark.parametrize(
    ("total", "weights", "exponent", "parts"),
    [
        ("10.00", (1, 1, 1), 2, ("3.34", "3.33", "3.33")),
        ("0.02", (1, 1, 1), 2, ("0.01", "0.01", "0.00")),
        ("0.01", (1, 1, 1, 1), 2, ("0.01", "0.00", "0.00", "0.00")),
        ("0.02", (1, 2, 1), 2, ("0.01", "0.01", "0.00")),
        ("100", (1, 2, 3), 0, ("17", "33", "50")),
        ("1.000", (1, 1, 1), 3, ("0.334", "0.333", "0.333")),
        ("7", (1, 1), 0, ("4", "3")),
        ("5.00", (3, 1), 2, ("3.75", "1.25")),
        ("0.05", ("0.5", "0.5"), 2, ("0.03", "0.02")),
        ("9.99", (1,), 2, ("9.99",)),
        ("0.00", (1, 2), 2, ("0.00", "0.00")),
    ],
)
def test_allocate_examples(
    total: str, weights: tuple[str | int, ...], exponent: int, parts: tuple[str, ...]
) -> None:
    result = allocate(D(total), ds(*weights), exponent)
    assert result == ds(*parts)
    assert sum(result, D(0)) == D(total)
    assert all(part.as_tuple().exponent == -exponent for part in result)


@pytest.mark.parametrize(
    ("total", "weights", "exponent", "parts"),
    [
        ("-10.00", (1, 1, 1), 2, ("-3.34", "-3.33", "-3.33")),
        ("-0.02", (1, 1, 1), 2, ("-0.01", "-0.01", "0.00")),
        ("-100", (1, 2, 3), 0, ("-17", "-33", "-50")),
    ],
)
def test_allocate_negative_totals_mirror_positive_ones(
    total: str, weights: tuple[int, ...], exponent: int, parts: tuple[str, ...]
) -> None:
    result = allocate(D(total), ds(*weights), exponent)
    assert result == ds(*parts)
    assert sum(result, D(0)) == D(total)
    assert all(part <= 0 for part in result)


def test_allocate_takes_weights_by_absolute_value() -> None:
    assert allocate(D("10"), ds(-1, 1), 0) == ds(5, 5)
    assert allocate(D("9.00"), ds("-2", "1"), 2) == ds("6.00", "3.00")


def test_allocate_zero_weights_examples() -> None:
    assert allocate(D("10.00"), ds(0, 0, 0, 0), 2) == ds("2.50", "2.50", "2.50", "2.50")
    assert allocate(D("0.10"), ds(0, 0, 0), 2) == ds("0.04", "0.03", "0.03")
    assert allocate(D("-0.10"), ds(0, 0, 0), 2) == ds("-0.04", "-0.03", "-0.03")
    assert allocate(D("1"), ds(0, 0, 0), 0) == ds(1, 0, 0)


@pytest.mark.parametrize(
    ("total", "weights", "exponent", "parts"),
    [
        # Every remainder is exactly 2/3; the two leftover units go to the two earliest parts.
        ("40", (5, 2, 5), 0, ("17", "7", "16")),
        ("0.40", (5, 2, 5), 2, ("0.17", "0.07", "0.16")),
        # Parts 0 and 2 both have remainder 24/39 after part 1 (30/39) takes the first unit.
        ("-6", (30, 5, 4), 0, ("-5", "-1", "0")),
        # A large part and a small part with the same remainder (1/3): the earlier one wins the tie.
        ("10000000000", (3, 1, 1, 1), 0, ("5000000000", "1666666667", "1666666667", "1666666666")),
    ],
)
def test_allocate_ties_go_to_the_earliest_part_whatever_its_size(
    total: str, weights: tuple[int, ...], exponent: int, parts: tuple[str, ...]
) -> None:
    result = allocate(D(total), ds(*weights), exponent)
    assert sum(result, D(0)) == D(total)
    assert result == ds(*parts)


def test_allocate_ten_thousand_tiny_shares_make_the_whole() -> None:
    # 10,000 transactions of 0.0025 make 25.00: 2,500 of them carry a cent, the earliest ones.
    parts = allocate(D("25.00"), [D("0.0025")] * 10_000, 2)
    assert sum(parts, D(0)) == D("25.00")
    assert parts[:2500] == [D("0.01")] * 2500
    assert parts[2500:] == [D("0.00")] * 7500


def test_allocate_ignores_the_global_context() -> None:
    total = D("123456789012345678901234567.89")
    expected = allocate(total, ds(1, 1, 1), 2)
    with decimal.localcontext() as context:
        context.prec = 4
        context.rounding = decimal.ROUND_FLOOR
        assert allocate(total, ds(1, 1, 1), 2) == expected
    # 29 significant digits: summed in Billfold's own context, not the global 28-digit one.
    assert money_add(*expected) == total


def test_allocate_over_nothing() -> None:
    assert allocate(D("0.00"), [], 2) == []
    with pytest.raises(ValueError, match="no parts"):
        allocate(D("1.00"), [], 2)


@pytest.mark.parametrize(("total", "exponent"), [("0.005", 2), ("1.5", 0), ("0.0001", 3)])
def test_allocate_refuses_a_total_finer_than_the_quantum(total: str, exponent: int) -> None:
    with pytest.raises(ValueError, match="multiple"):
        allocate(D(total), ds(1, 1), exponent)


def reference_allocation(total: Decimal, weights: list[Decimal], exponent: int) -> list[Decimal]:
    """Largest remainder in exact rational arithmetic, ties to the earliest part."""
    quantum = Fraction(1, 10**exponent)
    units = int(abs(Fraction(total)) / quantum)
    shares = [abs(Fraction(w)) for w in weights]
    if sum(shares) == 0:
        shares = [Fraction(1)] * len(weights)
    weight_sum = sum(shares)
    exact = [units * share / weight_sum for share in shares]
    whole = [int(e) for e in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - whole[i]), i))
    for index in order[: units - sum(whole)]:
        whole[index] += 1
    sign = -1 if total < 0 else 1
    return [D(sign * unit).scaleb(-exponent) for unit in whole]


weights_strategy = st.lists(
    st.one_of(
        st.integers(min_value=-10, max_value=10).map(D),
        st.decimals(
            min_value=D("-1000000"), max_value=D("1000000"), places=4, allow_nan=False, allow_infinity=False
        ),
    ),
    min_size=1,
    max_size=12,
)
totals_strategy = st.one_of(
    st.integers(min_value=-1000, max_value=1000),
    st.integers(min_value=-(10**18), max_value=10**18),
)


@settings(max_examples=200, database=None, derandomize=True)
@given(units=totals_strategy, weights=weights_strategy, exponent=st.integers(min_value=0, max_value=3))
def test_allocate_properties(units: int, weights: list[Decimal], exponent: int) -> None:
    total = D(units).scaleb(-exponent)
    quantum = Fraction(1, 10**exponent)
    parts = allocate(total, weights, exponent)
    assert len(parts) == len(weights)
    assert sum(parts, D(0)) == total
    shares = [abs(Fraction(w)) for w in weights]
    if sum(shares) == 0:
        shares = [Fraction(1)] * len(weights)
    weight_sum = sum(shares)
    for part, share in zip(parts, shares, strict=True):
        assert part.as_tuple().exponent == -exponent
        assert Fraction(part) / quantum == int(Fraction(part) / quantum)
        exact = Fraction(total) * share / weight_sum
        assert abs(Fraction(part) - exact) < quantum
        assert part == 0 or (part > 0) == (total > 0)


@settings(max_examples=200, database=None, derandomize=True)
@given(units=totals_strategy, weights=weights_strategy, exponent=st.integers(min_value=0, max_value=3))
def test_allocate_matches_exact_largest_remainder(units: int, weights: list[Decimal], exponent: int) -> None:
    total = D(units).scaleb(-exponent)
    assert allocate(total, weights, exponent) == reference_allocation(total, weights, exponent)
