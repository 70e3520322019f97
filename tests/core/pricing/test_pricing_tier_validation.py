"""Tier validation: gaps, overlaps and out-of-order bounds are errors naming the tier."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billfold.core.pricing import GraduatedParams, PriceValidationError, Tier, VolumeParams, parse

D = Decimal


def tier(start: str, end: str | None, unit_price: str = "1", flat_fee: str = "0") -> Tier:
    return Tier(D(start), None if end is None else D(end), D(unit_price), D(flat_fee))


@pytest.mark.parametrize("params_type", [GraduatedParams, VolumeParams])
@pytest.mark.parametrize(
    ("tiers", "field", "words"),
    [
        ((), "tiers", "at least one tier"),
        ((tier("5", None),), "tiers[0].from", "start at 0"),
        ((tier("0", "100"), tier("150", None)), "tiers[1].from", "gap"),
        ((tier("0", "100"), tier("100", "200"), tier("150", None)), "tiers[2].from", "overlap"),
        ((tier("0", None), tier("100", None)), "tiers[0].to", "only the last tier"),
        ((tier("0", "100"), tier("100", "100"), tier("100", None)), "tiers[1].to", "must end above"),
        ((tier("0", "100"), tier("100", None, unit_price="-1")), "tiers[1].unitPrice", "negative"),
        ((tier("0", "100", flat_fee="-5"), tier("100", None)), "tiers[0].flatFee", "negative"),
    ],
)
def test_invalid_tiers_name_the_tier(
    params_type: type[GraduatedParams] | type[VolumeParams], tiers: tuple[Tier, ...], field: str, words: str
) -> None:
    with pytest.raises(PriceValidationError) as caught:
        params_type(tiers)
    assert caught.value.field == field
    assert words in caught.value.message


def test_gap_message_names_both_tiers() -> None:
    with pytest.raises(PriceValidationError) as caught:
        GraduatedParams((tier("0", "100"), tier("100", "200"), tier("250", None)))
    assert caught.value.field == "tiers[2].from"
    assert caught.value.message == (
        "tier 3 starts at 250 but tier 2 ends at 200 (gap); each tier must start where the previous one ends"
    )
    assert str(caught.value).startswith("tiers[2].from: tier 3 starts at 250")


def test_non_finite_bound_is_refused() -> None:
    with pytest.raises(PriceValidationError) as caught:
        GraduatedParams((tier("0", "100"), Tier(D("100"), D("NaN")), tier("200", None)))
    assert caught.value.field == "tiers[1].to"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({}, "tiers"),
        ({"tiers": "0-100"}, "tiers"),
        ({"tiers": ["not an object"]}, "tiers[0]"),
        ({"tiers": [{"to": None, "unitPrice": "1"}]}, "tiers[0].from"),
        (
            {"tiers": [{"from": "0", "to": "10"}, {"from": "10", "to": None, "unitPrice": "abc"}]},
            "tiers[1].unitPrice",
        ),
        ({"tiers": [{"from": "0", "to": None, "price": "1"}]}, "tiers[0].price"),
        ({"tiers": [{"from": "0", "to": "10"}, {"from": "20", "to": None}]}, "tiers[1].from"),
        ({"tiers": [{"from": "0", "to": None}], "mode": "x"}, "mode"),
    ],
)
def test_parse_errors_name_the_field(raw: dict[str, object], field: str) -> None:
    for model in ("graduated", "volume"):
        with pytest.raises(PriceValidationError) as caught:
            parse(model, raw)
        assert caught.value.field == field


def test_parse_builds_tiers_from_decimal_strings() -> None:
    params = parse(
        "graduated",
        {
            "tiers": [
                {"from": "0", "to": "100", "unitPrice": "1.00", "flatFee": "20"},
                {"from": "100", "to": None, "unitPrice": "0.75"},
            ]
        },
    )
    assert params == GraduatedParams((tier("0", "100", "1.00", "20"), tier("100", None, "0.75")))
