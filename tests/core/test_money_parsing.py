"""The one decimal parser (money.parse_decimal) and the one "fits the currency" check (money.fits)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billfold.core.money import fits, parse_decimal, to_plain

D = Decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.50", "12.50"),
        ("-3", "-3"),
        ("0.000000000001", "0.000000000001"),
        ("0.00", "0.00"),
        ("1.50000000000000", "1.5"),  # zeros beyond the 12th place are dropped, not refused
        ("000000000000000000000000001", "1"),
        ("999999999999999999.999999999999", "999999999999999999.999999999999"),
    ],
)
def test_decimal_strings(raw: str, expected: str) -> None:
    value = parse_decimal(raw)
    assert value == D(expected)
    assert to_plain(value) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1e5", "plain decimal"),
        ("NaN", "plain decimal"),
        ("Infinity", "plain decimal"),
        (" 1", "plain decimal"),
        ("1.", "plain decimal"),
        ("+1", "plain decimal"),
        ("1" * 65, "at most 64 characters"),
        ("0.0000000000001", "at most 12 decimal places"),
        ("1" * 19, "at most 18 digits"),
        (12, "decimal string"),
        (1.5, "decimal string"),
        (True, "decimal string"),
        (None, "decimal string"),
    ],
)
def test_refused_text(raw: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_decimal(raw)


def test_numbers_are_taken_exactly_when_asked_for() -> None:
    assert parse_decimal(D("1E+5"), text=False, numbers=True) == 100000
    assert str(parse_decimal(D("1E+5"), text=False, numbers=True)) == "100000"
    assert str(parse_decimal(D("0E+999999"), text=False, numbers=True)) == "0"
    assert parse_decimal(7, numbers=True) == 7
    assert parse_decimal("7.25", numbers=True) == D("7.25")
    for raw, reason in [
        (D("NaN"), "finite"),
        (D("1E+999999"), "18 digits"),
        (D("1E-999999"), "12 decimal places"),
        (1.5, "JSON number"),
        (False, "JSON number"),
        ("7", "JSON number"),
    ]:
        with pytest.raises(ValueError, match=reason):
            parse_decimal(raw, text=False, numbers=True)


def test_sign_and_places_options() -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_decimal("-0.01", negative=False)
    assert parse_decimal("0", negative=False) == 0
    assert parse_decimal("7.5", places=4) == D("7.5")
    with pytest.raises(ValueError, match="at most 4 decimal places"):
        parse_decimal("7.12345", places=4)


@pytest.mark.parametrize(
    ("value", "exponent", "expected"),
    [
        ("1.50", 2, True),
        ("1.500", 2, False),
        ("100.0", 0, False),
        ("1.505", 2, False),
        ("100", 0, True),
        ("0.5", 0, False),
        ("-0.001", 3, True),
        ("-0.0001", 3, False),
        ("1E+3", 0, True),
        ("0.00", 2, True),
        ("NaN", 2, False),
    ],
)
def test_fits_the_currency(value: str, exponent: int, expected: bool) -> None:
    assert fits(D(value), exponent) is expected
