"""Currencies come from the ISO 4217 table: its minor units, and nothing but upper-case known codes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billfold.core.money import Currency
from billfold.services.currencies import currency
from billfold.services.errors import ValidationFailed


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("USD", 2),
        ("EUR", 2),
        ("BRL", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("ISK", 0),
        ("BHD", 3),
        ("IQD", 3),  # ISO 4217 says 3; CLDR (and so Babel) says 0.
        ("KWD", 3),
        ("TND", 3),
        ("CLF", 4),
    ],
)
def test_minor_units_follow_iso_4217(code: str, exponent: int) -> None:
    found = currency(code)
    assert found == Currency(code=code, exponent=exponent)
    assert found.quantum == Decimal(1).scaleb(-exponent)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("usd", "upper-case"),
        ("Usd", "upper-case"),
        ("jpy", "upper-case"),
        ("XXX", "unknown"),  # "no currency": no minor unit
        ("XAU", "unknown"),  # gold: no minor unit
        ("XDR", "unknown"),  # special drawing rights: no minor unit
        ("ABC", "unknown"),
        ("ZZZ", "unknown"),
        ("US", "upper-case"),
        ("USDD", "upper-case"),
        ("", "upper-case"),
        ("123", "upper-case"),
        ("US1", "unknown"),
        ("ÜSD", "upper-case"),
        (" USD", "upper-case"),
        ("USD ", "upper-case"),
    ],
)
def test_bad_codes_are_refused_naming_the_field(code: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        currency(code)
    error = caught.value
    assert error.code == "validation_error"
    assert set(error.details) == {"currency"}
    assert reason in error.details["currency"]
    assert error.message.startswith("currency: ")


@pytest.mark.parametrize("field", ["invoice.currency", "priceCurrency", "items[0].currency"])
def test_the_field_name_is_the_callers(field: str) -> None:
    for code in ("usd", "XXX", "ABC"):
        with pytest.raises(ValidationFailed) as caught:
            currency(code, field=field)
        assert set(caught.value.details) == {field}
        assert caught.value.message.startswith(f"{field}: ")


def test_lookup_is_stable_across_calls() -> None:
    assert currency("BHD") == currency("BHD") == Currency("BHD", 3)
    assert currency("JPY").exponent == 0
    with pytest.raises(ValidationFailed):
        currency("XXX")
    with pytest.raises(ValidationFailed):
        currency("XXX")
