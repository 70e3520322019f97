"""Package and tiered package pricing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.money import CONTEXT, RoundingMode
from billfold.core.pricing import (
    LineResult,
    PackageParams,
    PackageRounding,
    PackageTier,
    Price,
    PriceValidationError,
    SubLineType,
    TieredPackageParams,
    Usage,
    parse,
    parse_price,
    price_line,
)

D = Decimal
PROPERTY = settings(max_examples=200, deadline=None, database=None)


def line(price: Price, quantity: str | Decimal) -> LineResult:
    return price_line(price, Usage(quantity=D(quantity)), 2, RoundingMode.HALF_UP)


def test_lago_docs_package_with_free_units() -> None:
    # Lago docs, "Package" (https://docs.getlago.com/guide/plans/charges/charge-models/package):
    # 5 per 100 units, first 100 units free; 201 units cost 0 + 5 + 5 = 10.
    price = parse_price("package", {"packageSize": "100", "packagePrice": "5", "freeUnits": "100"})
    result = line(price, "201")
    assert result.amount == D("10.00")
    assert result.free_units == D(100)
    assert result.usage == D(201)
    (sub_line,) = result.sub_lines
    assert sub_line.type is SubLineType.PRICE_TIER_PACKAGE
    assert sub_line.usage == D(101)
    assert sub_line.metadata["packages"] == D(2)
    assert sub_line.name == "2 × package of 100"


def test_sequence_docs_package() -> None:
    # Sequence docs, "Usage-based pricing" (https://docs.sequencehq.com/plans-products/usage-based-pricing):
    # 10 per 250 units; 600 units = 3 packages = 30.
    price = parse_price("package", {"packageSize": "250", "packagePrice": "10"})
    assert line(price, "600").amount == D("30.00")


def test_orb_docs_package() -> None:
    # Orb docs, "Price configuration" (https://docs.withorb.com/product-catalog/price-configuration):
    # package size 10 at 0.80: "4 units will be billed as 10 and 11 units will be billed at 20".
    price = parse_price("package", {"packageSize": "10", "packagePrice": "0.80"})
    assert line(price, "4").amount == D("0.80")
    assert line(price, "11").amount == D("1.60")


@pytest.mark.parametrize(
    ("rounding", "quantity", "packages"),
    [
        (PackageRounding.UP, "0", 0),
        (PackageRounding.UP, "100", 1),
        (PackageRounding.UP, "100.5", 2),
        (PackageRounding.DOWN, "199.99", 1),
        (PackageRounding.DOWN, "99", 0),
        (PackageRounding.NEAREST, "149.99", 1),
        (PackageRounding.NEAREST, "150", 2),
        (PackageRounding.NEAREST, "49", 0),
    ],
)
def test_partial_packages_round_as_asked(rounding: PackageRounding, quantity: str, packages: int) -> None:
    price = Price(PackageParams(D(100), D("2.50"), rounding))
    result = line(price, quantity)
    assert result.sub_lines[0].metadata["packages"] == D(packages)
    assert result.amount == D(packages) * D("2.50")


def test_free_units_come_off_before_rounding() -> None:
    price = Price(PackageParams(D(10), D(1)), free_units=D(5))
    assert line(price, "15").amount == D("1.00")  # 10 billable units: one package, not two
    assert line(price, "3").amount == D("0.00")
    assert line(price, "3").free_units == D(3)


def test_decimal_package_size() -> None:
    price = Price(PackageParams(D("0.5"), D("0.10")))
    assert line(price, "1.26").amount == D("0.30")


@PROPERTY
@given(
    st.decimals(min_value=D("0.001"), max_value=1000, places=3),
    st.decimals(min_value=0, max_value=1000, places=4),
    st.decimals(min_value=0, max_value=100000, places=3),
    st.sampled_from(list(PackageRounding)),
)
def test_amount_is_a_multiple_of_the_package_price(
    size: Decimal, package_price: Decimal, quantity: Decimal, rounding: PackageRounding
) -> None:
    result = line(Price(PackageParams(size, package_price, rounding)), quantity)
    packages = result.sub_lines[0].metadata["packages"]
    assert isinstance(packages, Decimal)
    assert packages == packages.to_integral_value()
    assert result.exact_amount == CONTEXT.multiply(packages, package_price)
    if not package_price.is_zero():
        assert CONTEXT.remainder(result.exact_amount, package_price).is_zero()
    covered = CONTEXT.multiply(packages, size)
    if rounding is PackageRounding.UP:
        assert covered >= quantity > covered - size
    if rounding is PackageRounding.DOWN:
        assert covered <= quantity < covered + size


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"packageSize": "0", "packagePrice": "1"}, "packageSize"),
        ({"packageSize": "-10", "packagePrice": "1"}, "packageSize"),
        ({"packageSize": "10", "packagePrice": "-1"}, "packagePrice"),
        ({"packagePrice": "1"}, "packageSize"),
        ({"packageSize": "10", "packagePrice": "1", "rounding": "sideways"}, "rounding"),
    ],
)
def test_package_validation(raw: dict[str, object], field: str) -> None:
    with pytest.raises(PriceValidationError) as caught:
        parse("package", raw)
    assert caught.value.field == field


TIERED = Price(
    TieredPackageParams(
        (
            PackageTier(D(0), D(1000), D(100), D(5), D(10)),
            PackageTier(D(1000), None, D(500), D(20)),
        )
    )
)


def test_tiered_package_bills_each_tier_in_its_own_packages() -> None:
    # Aira's price_tier_package sub lines (from, to, packageSize, price, fixedPrice), progressive tiers.
    result = line(TIERED, "1600")
    assert result.amount == D("100.00")  # 10 packages * 5 + 10 flat + 2 packages (600 units) * 20
    assert [(s.type, s.usage, s.amount) for s in result.sub_lines] == [
        (SubLineType.PRICE_TIER_PACKAGE, D(1000), D("50.00")),
        (SubLineType.PRICE_TIER_FLAT, None, D("10.00")),
        (SubLineType.PRICE_TIER_PACKAGE, D(600), D("40.00")),
    ]
    assert result.sub_lines[2].metadata["packages"] == D(2)
    assert result.sub_lines[2].name == "Tier 2 (above 1000): 2 × package of 500"


def test_tiered_package_zero_usage_and_parse() -> None:
    assert line(TIERED, "0").amount == D("10.00")
    params = parse(
        "tiered_package",
        {
            "tiers": [
                {"from": "0", "to": "1000", "packageSize": "100", "packagePrice": "5", "flatFee": "10"},
                {"from": "1000", "to": None, "packageSize": "500", "packagePrice": "20"},
            ]
        },
    )
    assert params == TIERED.params


def test_tiered_package_validation_names_the_tier() -> None:
    with pytest.raises(PriceValidationError) as caught:
        TieredPackageParams((PackageTier(D(0), D(10), D(5), D(1)), PackageTier(D(10), None, D(0), D(1))))
    assert caught.value.field == "tiers[1].packageSize"
    with pytest.raises(PriceValidationError) as caught:
        TieredPackageParams((PackageTier(D(0), D(10), D(5), D(1)), PackageTier(D(12), None, D(5), D(1))))
    assert caught.value.field == "tiers[1].from"
