"""Graduated (progressive) pricing: worked examples from public docs and properties."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.money import CONTEXT, ZERO, RoundingMode, to_plain
from billfold.core.pricing import (
    GraduatedParams,
    LineResult,
    OrbType,
    Price,
    SubLineType,
    Tier,
    Usage,
    parse_price,
    price_line,
)
from billfold.core.pricing.allocation import shares

D = Decimal
PROPERTY = settings(max_examples=200, deadline=None, database=None)


def line(price: Price, quantity: str | Decimal, exponent: int = 2) -> LineResult:
    return price_line(price, Usage(quantity=D(quantity)), exponent, RoundingMode.HALF_UP)


def graduated(*tiers: tuple[str, str | None, str, str]) -> Price:
    return Price(
        GraduatedParams(tuple(Tier(D(a), None if b is None else D(b), D(u), D(f)) for a, b, u, f in tiers))
    )


SEQUENCE = graduated(("0", "100", "1.00", "20"), ("100", None, "0.75", "50"))


def test_sequence_docs_graduated_125_units() -> None:
    # Sequence docs, "Usage-based pricing" (https://docs.sequencehq.com/plans-products/usage-based-pricing):
    # 0-100 @ 1.00 + 20 flat, 100-inf @ 0.75 + 50 flat; 125 units = 100 * 1 + 20 + 25 * 0.75 + 50 = 188.75.
    result = line(SEQUENCE, "125")
    assert result.amount == D("188.75")
    assert [(s.type, s.usage, s.amount) for s in result.sub_lines] == [
        (SubLineType.PRICE_TIER_UNIT, D(100), D("100.00")),
        (SubLineType.PRICE_TIER_FLAT, None, D("20.00")),
        (SubLineType.PRICE_TIER_UNIT, D(25), D("18.75")),
        (SubLineType.PRICE_TIER_FLAT, None, D("50.00")),
    ]
    assert [s.name for s in result.sub_lines] == [
        "Tier 1 (0 – 100)",
        "Tier 1 (0 – 100) flat fee",
        "Tier 2 (above 100)",
        "Tier 2 (above 100) flat fee",
    ]
    assert all(s.orb_type is OrbType.TIER for s in result.sub_lines)
    assert result.sub_lines[2].metadata == {
        "tier": 2,
        "from": D(100),
        "to": None,
        "unitPrice": D("0.75"),
        "flatFee": D(50),
    }


def test_sequence_docs_self_serve_minimum_tier() -> None:
    # Sequence docs, "Self-serve plans" (https://docs.sequencehq.com/plans-products/self-serve-plans):
    # minimum tier 0-1000 at 0 + 250 flat, 1000-2500 at 0.45, 2500+ at 0.65.
    price = graduated(("0", "1000", "0", "250"), ("1000", "2500", "0.45", "0"), ("2500", None, "0.65", "0"))
    assert line(price, "0").amount == D("250.00")  # the first tier's flat fee is charged at zero usage
    assert line(price, "1000").amount == D("250.00")
    assert line(price, "3000").amount == D("1250.00")  # 250 + 1500 * 0.45 + 500 * 0.65


def test_stripe_docs_graduated_fonts() -> None:
    # Stripe docs, "Set up tiered pricing" (https://docs.stripe.com/subscriptions/pricing-models/tiered-pricing):
    # 1-5 fonts 7 USD, 6-10 6.50 USD, 11+ 6 USD, graduated.
    price = graduated(("0", "5", "7", "0"), ("5", "10", "6.5", "0"), ("10", None, "6", "0"))
    amounts = {q: line(price, q).amount for q in ("1", "5", "6", "20", "25")}
    assert amounts == {
        "1": D("7.00"),
        "5": D("35.00"),
        "6": D("41.50"),
        "20": D("127.50"),
        "25": D("157.50"),
    }


def test_orb_docs_tiered() -> None:
    # Orb docs, "Price configuration" (https://docs.withorb.com/product-catalog/price-configuration):
    # "the first ten units may cost $0.50 each and all units thereafter may cost $0.10 each".
    price = parse_price(
        "graduated",
        {
            "tiers": [
                {"from": "0", "to": "10", "unitPrice": "0.50"},
                {"from": "10", "to": None, "unitPrice": "0.10"},
            ]
        },
    )
    assert line(price, "10").amount == D("5.00")
    assert line(price, "15").amount == D("5.50")


def test_lago_docs_graduated() -> None:
    # Lago docs, "Graduated" (https://docs.getlago.com/guide/plans/charges/charge-models/graduated):
    # 1 per unit for the first 100, 0.50 for the next 100, 0.10 for any additional unit.
    price = graduated(("0", "100", "1", "0"), ("100", "200", "0.50", "0"), ("200", None, "0.10", "0"))
    assert line(price, "250").amount == D("155.00")


def test_tier_boundary_belongs_to_the_lower_tier() -> None:
    result = line(SEQUENCE, "100")
    assert result.amount == D("120.00")  # tier 2 is not reached (its flat fee is not charged)
    assert len(result.sub_lines) == 2
    assert line(SEQUENCE, "100.001").amount == D("170.00")  # 100 + 20 + 0.00075 + 50


def test_zero_usage_charges_the_first_tier_flat_fee_only() -> None:
    result = line(SEQUENCE, "0")
    assert result.amount == D("20.00")
    assert [(s.type, s.amount) for s in result.sub_lines] == [
        (SubLineType.PRICE_TIER_UNIT, D("0.00")),
        (SubLineType.PRICE_TIER_FLAT, D("20.00")),
    ]


def test_missing_quantity_prices_zero() -> None:
    assert price_line(SEQUENCE, Usage(), 2, RoundingMode.HALF_UP).amount == D("20.00")


def test_decimal_quantities_and_rounding_once() -> None:
    price = graduated(("0", "0.5", "0.333", "0"), ("0.5", None, "0.111", "0"))
    result = line(price, "2.25")
    exact = D("0.5") * D("0.333") + D("1.75") * D("0.111")  # 0.1665 + 0.19425 = 0.36075
    assert result.exact_amount == exact
    assert result.amount == D("0.36")
    assert [s.amount for s in result.sub_lines] == [D("0.17"), D("0.19")]
    assert sum(s.amount for s in result.sub_lines) == result.amount


def test_sub_line_amounts_are_fixed_point() -> None:
    result = line(SEQUENCE, "125")
    assert [to_plain(s.amount) for s in result.sub_lines] == ["100.00", "20.00", "18.75", "50.00"]


def test_exponents_beyond_the_shared_prefix_range() -> None:
    result = line(SEQUENCE, "125", exponent=6)
    assert result.amount == D("188.750000")
    assert [to_plain(s.amount) for s in result.sub_lines] == [
        "100.000000",
        "20.000000",
        "18.750000",
        "50.000000",
    ]


# --- properties ---------------------------------------------------------------------------------


@st.composite
def tier_lists(draw: st.DrawFn) -> tuple[Tier, ...]:
    count = draw(st.integers(min_value=1, max_value=6))
    widths = draw(
        st.lists(
            st.decimals(min_value=D("0.001"), max_value=1000, places=3),
            min_size=count - 1,
            max_size=count - 1,
        )
    )
    tiers = []
    start = ZERO
    for index in range(count):
        end = None if index == count - 1 else CONTEXT.add(start, widths[index])
        unit_price = draw(st.decimals(min_value=0, max_value=100, places=4))
        flat_fee = draw(st.decimals(min_value=0, max_value=100, places=2))
        tiers.append(Tier(start, end, unit_price, flat_fee))
        start = end if end is not None else start
    return tuple(tiers)


QUANTITIES = st.decimals(min_value=0, max_value=5000, places=3)


def reference_amount(tiers: tuple[Tier, ...], quantity: Decimal) -> Decimal:
    """Sum over tiers, computed independently: each tier's slice at its price, plus its flat fee
    when reached (the first always is)."""
    total = ZERO
    for index, tier in enumerate(tiers):
        reached = index == 0 or quantity > tier.from_
        if not reached:
            continue
        top = quantity if tier.to is None else min(quantity, tier.to)
        units = max(CONTEXT.subtract(top, tier.from_), ZERO)
        total = CONTEXT.add(total, CONTEXT.add(CONTEXT.multiply(units, tier.unit_price), tier.flat_fee))
    return total


@PROPERTY
@given(tier_lists(), QUANTITIES)
def test_amount_equals_the_sum_over_tiers(tiers: tuple[Tier, ...], quantity: Decimal) -> None:
    result = line(Price(GraduatedParams(tiers)), quantity)
    assert result.exact_amount == reference_amount(tiers, quantity)
    assert sum(s.exact_amount for s in result.sub_lines) == result.exact_amount


@PROPERTY
@given(tier_lists(), QUANTITIES, QUANTITIES)
def test_amount_is_monotone_in_quantity(tiers: tuple[Tier, ...], a: Decimal, b: Decimal) -> None:
    price = Price(GraduatedParams(tiers))
    low, high = sorted((a, b))
    assert line(price, low).exact_amount <= line(price, high).exact_amount
    assert line(price, low).amount <= line(price, high).amount


@PROPERTY
@given(tier_lists(), QUANTITIES, st.sampled_from([0, 2, 3, 4, 8]))
def test_sub_lines_sum_exactly_to_the_line_amount(
    tiers: tuple[Tier, ...], quantity: Decimal, exponent: int
) -> None:
    result = line(Price(GraduatedParams(tiers)), quantity, exponent)
    quantum = Decimal(1).scaleb(-exponent)
    assert sum(s.amount for s in result.sub_lines) == result.amount
    for sub_line in result.sub_lines:
        assert abs(sub_line.amount - sub_line.exact_amount) < quantum
        assert sub_line.amount.as_tuple().exponent == -exponent
    # The lower tiers' shared, precomputed sub lines give the same split as splitting every part.
    exacts = [s.exact_amount for s in result.sub_lines]
    assert [s.amount for s in result.sub_lines] == shares(result.amount, exacts, exponent)
