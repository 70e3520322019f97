"""Volume (bulk) pricing: worked examples from public docs and properties."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.money import RoundingMode
from billfold.core.pricing import (
    LineResult,
    Price,
    SubLineType,
    Tier,
    Usage,
    VolumeParams,
    parse_price,
    price_line,
)

D = Decimal
PROPERTY = settings(max_examples=200, deadline=None, database=None)


def line(price: Price, quantity: str | Decimal) -> LineResult:
    return price_line(price, Usage(quantity=D(quantity)), 2, RoundingMode.HALF_UP)


def volume(*tiers: tuple[str, str | None, str, str]) -> Price:
    return Price(
        VolumeParams(tuple(Tier(D(a), None if b is None else D(b), D(u), D(f)) for a, b, u, f in tiers))
    )


def test_sequence_docs_volume_125_units() -> None:
    # Sequence docs, "Usage-based pricing" (https://docs.sequencehq.com/plans-products/usage-based-pricing):
    # 0-100 @ 1.00 + 20 flat, 100-inf @ 0.75 + 50 flat; 125 units = 125 * 0.75 + 50 = 143.75.
    price = volume(("0", "100", "1.00", "20"), ("100", None, "0.75", "50"))
    result = line(price, "125")
    assert result.amount == D("143.75")
    assert [(s.type, s.name, s.usage, s.amount) for s in result.sub_lines] == [
        (SubLineType.PRICE_TIER_UNIT, "Tier 2 (above 100)", D(125), D("93.75")),
        (SubLineType.PRICE_TIER_FLAT, "Tier 2 (above 100) flat fee", None, D("50.00")),
    ]


def test_stripe_docs_volume_fonts() -> None:
    # Stripe docs, "Set up tiered pricing" (https://docs.stripe.com/subscriptions/pricing-models/tiered-pricing):
    # volume-based: 1 -> 7, 5 -> 35, 6 -> 39, 20 -> 120, 25 -> 150 USD.
    price = volume(("0", "5", "7", "0"), ("5", "10", "6.5", "0"), ("10", None, "6", "0"))
    assert {q: line(price, q).amount for q in ("1", "5", "6", "20", "25")} == {
        "1": D("7.00"),
        "5": D("35.00"),
        "6": D("39.00"),
        "20": D("120.00"),
        "25": D("150.00"),
    }


def test_orb_docs_bulk() -> None:
    # Orb docs, "Price configuration" (https://docs.withorb.com/product-catalog/price-configuration):
    # up to 10 units at 0.50 each; beyond, all units at 0.40 ("101 units total would be $40.40").
    price = parse_price(
        "volume",
        {
            "tiers": [
                {"from": "0", "to": "10", "unitPrice": "0.50"},
                {"from": "10", "to": None, "unitPrice": "0.40"},
            ]
        },
    )
    assert line(price, "10").amount == D("5.00")
    assert line(price, "101").amount == D("40.40")


def test_amount_can_drop_when_crossing_into_a_cheaper_tier() -> None:
    price = volume(("0", "100", "1.00", "0"), ("100", None, "0.50", "0"))
    assert line(price, "100").amount == D("100.00")
    assert line(price, "101").amount == D("50.50")
    assert line(price, "101").amount < line(price, "100").amount


def test_zero_usage_falls_in_the_first_tier() -> None:
    price = volume(("0", "100", "1.00", "20"), ("100", None, "0.75", "50"))
    result = line(price, "0")
    assert result.amount == D("20.00")
    assert result.sub_lines[0].name == "Tier 1 (0 – 100)"


def test_quantity_on_a_bound_stays_in_the_lower_tier() -> None:
    price = volume(("0", "100", "1.00", "20"), ("100", None, "0.75", "50"))
    assert line(price, "100").amount == D("120.00")
    assert line(price, "100.5").amount == D("125.38")  # 75.375 + 50, rounded once, half up


@PROPERTY
@given(st.decimals(min_value=0, max_value=1000, places=3))
def test_amount_is_the_tier_price_times_the_whole_quantity(quantity: Decimal) -> None:
    price = volume(("0", "10", "3", "1"), ("10", "100", "2", "5"), ("100", None, "1", "9"))
    result = line(price, quantity)
    unit, flat = (D(3), D(1)) if quantity <= 10 else (D(2), D(5)) if quantity <= 100 else (D(1), D(9))
    assert result.exact_amount == quantity * unit + flat
    assert sum(s.amount for s in result.sub_lines) == result.amount
