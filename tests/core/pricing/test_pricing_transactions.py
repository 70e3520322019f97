"""Percentage and basis-point pricing over individual transactions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.money import CONTEXT, ZERO, RoundingMode, to_plain
from billfold.core.pricing import (
    BasisPointsParams,
    LineResult,
    PercentageParams,
    Price,
    PriceValidationError,
    SubLineType,
    Usage,
    parse,
    parse_price,
    price_line,
)

D = Decimal
PROPERTY = settings(max_examples=200, deadline=None, database=None)


def line(price: Price, *amounts: str | Decimal) -> LineResult:
    return price_line(price, Usage(transactions=tuple(D(a) for a in amounts)), 2, RoundingMode.HALF_UP)


def test_basis_points_are_rounded_once_for_the_line() -> None:
    # 10,000 transactions of 1.00 at 25 bps: each is 0.0025, which would round to 0.00 one by one.
    price = parse_price("basis_points", {"basisPoints": "25"})
    result = price_line(price, Usage(transactions=(D("1.00"),) * 10_000), 2, RoundingMode.HALF_UP)
    assert result.amount == D("25.00")
    assert to_plain(result.amount) == "25.00"
    (sub_line,) = result.sub_lines
    assert sub_line.type is SubLineType.PRICE_TIER_BASIS_POINTS
    assert (sub_line.usage, sub_line.amount) == (D("10000.00"), D("25.00"))
    assert sub_line.metadata["transactions"] == 10_000


def test_basis_points_per_transaction_maximum() -> None:
    # Orb's bps price (API reference, BpsConfig: bps, per_unit_maximum "the maximum amount to charge
    # for any one event"): 125 bps of 1,000 is 12.50, capped at 10; of 500 it is 6.25.
    price = parse_price("basis_points", {"basisPoints": "125", "maxPerTransaction": "10"})
    result = line(price, "1000", "500")
    assert result.amount == D("16.25")
    assert result.sub_lines[0].metadata["cappedTransactions"] == 1


def test_lago_docs_percentage_with_free_units() -> None:
    # Lago docs, "Percentage" (https://docs.getlago.com/guide/plans/charges/charge-models/percentage):
    # 1.2 % + 0.10 per transaction, the first 3 events or 500 free; transactions 200, 100, 100, 50:
    # the fourth pays 0.10 + 1.2 % of 50 = 0.70.
    price = parse_price(
        "percentage", {"rate": "1.2", "fixedFee": "0.10", "freeTransactions": 3, "freeAmount": "500"}
    )
    result = line(price, "200", "100", "100", "50")
    assert result.amount == D("0.70")
    assert result.usage == D(450)
    assert [(s.type, s.usage, s.amount) for s in result.sub_lines] == [
        (SubLineType.PRICE_TIER_BASIS_POINTS, D(50), D("0.60")),
        (SubLineType.UNIT_PRICE, D(1), D("0.10")),
    ]


def test_sequence_docs_linear_percentage() -> None:
    # Sequence docs, "Usage-based pricing" (https://docs.sequencehq.com/plans-products/usage-based-pricing):
    # 0.5 % per payment; 50 payments amounting to 1,000 = 5.00.
    price = parse_price("percentage", {"rate": "0.5"})
    assert line(price, *(["20.00"] * 50)).amount == D("5.00")


def test_sequence_docs_fee_thresholds() -> None:
    # Sequence docs, "Usage-based pricing", linear pricing with fee thresholds: 2 % per payment,
    # 1.00 minimum and 10.00 maximum fee; payments of 25, 100 and 500 cost 1.00 + 2.00 + 10.00 = 13.00.
    price = parse_price(
        "percentage", {"rate": "2", "minPerTransaction": "1.00", "maxPerTransaction": "10.00"}
    )
    result = line(price, "25", "100", "500")
    assert result.amount == D("13.00")
    assert result.sub_lines[0].metadata["perTransactionAdjustment"] == D("0.5")
    # The same page's cap example: 2 % of 750 is 15.00, capped at 10.00 (adjustments +0.50 and -5.00).
    capped = line(price, "25", "100", "750")
    assert capped.amount == D("13.00")
    assert capped.sub_lines[0].metadata["perTransactionAdjustment"] == D("-4.50")


def test_free_amount_only_charges_the_excess_of_the_crossing_transaction() -> None:
    price = Price(PercentageParams(D(10), fixed_fee=D(1), free_amount=D(100)))
    result = line(price, "60", "60", "30")
    # 60 free; 40 of the second free, 20 charged at 10 % + 1; third fully charged at 10 % + 1.
    assert result.exact_amount == D("2") + D(1) + D("3") + D(1)
    assert result.sub_lines[0].usage == D(50)
    assert result.sub_lines[1].usage == D(2)


def test_free_transactions_only() -> None:
    price = Price(PercentageParams(D(10), fixed_fee=D("0.25"), free_transactions=2))
    result = line(price, "100", "100", "100")
    assert result.exact_amount == D("10.25")


def test_no_transactions_cost_nothing() -> None:
    price = Price(PercentageParams(D("2.5"), fixed_fee=D("0.30"), min_per_transaction=D(1)))
    result = line(price)
    assert result.amount == D("0.00")
    assert sum(s.amount for s in result.sub_lines) == result.amount


@PROPERTY
@given(
    st.lists(st.decimals(min_value=0, max_value=10000, places=2), max_size=40),
    st.decimals(min_value=0, max_value=10, places=3),
    st.decimals(min_value=0, max_value=1, places=2),
)
def test_percentage_without_bounds_is_rate_times_volume_plus_fees(
    amounts: list[Decimal], rate: Decimal, fee: Decimal
) -> None:
    result = line(Price(PercentageParams(rate, fixed_fee=fee)), *amounts)
    volume = ZERO
    for amount in amounts:
        volume = CONTEXT.add(volume, amount)
    expected = CONTEXT.add(CONTEXT.multiply(volume, rate.scaleb(-2)), CONTEXT.multiply(D(len(amounts)), fee))
    assert result.exact_amount == expected
    assert sum(s.amount for s in result.sub_lines) == result.amount


@PROPERTY
@given(
    st.lists(st.decimals(min_value=0, max_value=10000, places=2), max_size=40),
    st.decimals(min_value=0, max_value=5, places=2),
    st.decimals(min_value=0, max_value=5, places=2),
)
def test_per_transaction_bounds_hold(amounts: list[Decimal], low: Decimal, extra: Decimal) -> None:
    high = low + extra
    result = line(
        Price(PercentageParams(D("1.5"), min_per_transaction=low, max_per_transaction=high)), *amounts
    )
    count = D(len(amounts))
    assert count * low <= result.exact_amount <= count * high
    assert sum(s.amount for s in result.sub_lines) == result.amount


@PROPERTY
@given(st.lists(st.decimals(min_value=0, max_value=10000, places=2), max_size=40), st.integers(0, 10000))
def test_basis_points_equal_the_volume_share(amounts: list[Decimal], bps: int) -> None:
    result = line(Price(BasisPointsParams(D(bps))), *amounts)
    volume = ZERO
    for amount in amounts:
        volume = CONTEXT.add(volume, amount)
    assert result.exact_amount == CONTEXT.multiply(volume, D(bps).scaleb(-4))


@pytest.mark.parametrize(
    ("model", "raw", "field"),
    [
        ("percentage", {}, "rate"),
        ("percentage", {"rate": "-1"}, "rate"),
        ("percentage", {"rate": "1", "fixedFee": "-0.1"}, "fixedFee"),
        ("percentage", {"rate": "1", "freeTransactions": "-1"}, "freeTransactions"),
        ("percentage", {"rate": "1", "freeTransactions": "1.5"}, "freeTransactions"),
        (
            "percentage",
            {"rate": "1", "minPerTransaction": "5", "maxPerTransaction": "1"},
            "maxPerTransaction",
        ),
        ("basis_points", {}, "basisPoints"),
        ("basis_points", {"basisPoints": "25", "maxPerTransaction": "-1"}, "maxPerTransaction"),
    ],
)
def test_validation(model: str, raw: dict[str, object], field: str) -> None:
    with pytest.raises(PriceValidationError) as caught:
        parse(model, raw)
    assert caught.value.field == field
