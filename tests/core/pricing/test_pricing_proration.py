"""Proration of fixed and per-seat prices over calendar billing intervals."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.money import CONTEXT, RoundingMode, quantize
from billfold.core.pricing import (
    BillingInterval,
    BillingModel,
    FixedParams,
    IntervalUnit,
    LineResult,
    Price,
    PriceValidationError,
    SeatInterval,
    ServicePeriod,
    SubLineType,
    UnitParams,
    Usage,
    UsageError,
    parse_price,
    price_line,
)

D = Decimal
PROPERTY = settings(max_examples=200, deadline=None, database=None)
SEAT = Price(UnitParams(D("15.00")), billing_model=BillingModel.PRORATION)


def line(price: Price, usage: Usage, start: date, end: date) -> LineResult:
    return price_line(price, usage, 2, RoundingMode.HALF_UP, ServicePeriod(start, end))


def test_sequence_docs_seat_added_mid_month() -> None:
    # Sequence docs, "Seat-based pricing" (https://docs.sequencehq.com/plans-products/seat-based-pricing):
    # a 15 USD monthly seat added mid-month costs about 7.50.
    result = line(SEAT, Usage(quantity=D(1)), date(2024, 4, 16), date(2024, 4, 30))
    assert result.amount == D("7.50")
    (sub_line,) = result.sub_lines
    assert sub_line.type is SubLineType.PRORATION
    assert sub_line.name == "Prorated 15 of 30 days (2024-04-16 – 2024-04-30)"
    assert sub_line.metadata == {
        "startDate": date(2024, 4, 16),
        "endDate": date(2024, 4, 30),
        "days": 15,
        "periodStart": date(2024, 4, 1),
        "periodEnd": date(2024, 4, 30),
        "periodDays": 30,
        "quantity": D(1),
        "unitPrice": D("15.00"),
    }


def test_fixed_fee_prorated_by_actual_days() -> None:
    price = parse_price("fixed", {"amount": "100", "billingModel": "proration"})
    result = line(price, Usage(), date(2024, 2, 20), date(2024, 2, 29))
    assert result.exact_amount == D("34.482758620689655172413793103448")  # 1000 / 29, to 30 places
    assert result.amount == D("34.48")
    assert line(price, Usage(), date(2024, 2, 1), date(2024, 2, 29)).amount == D("100.00")


@pytest.mark.parametrize(
    ("interval", "start", "end", "amount"),
    [
        (BillingInterval(IntervalUnit.QUARTER), date(2024, 5, 1), date(2024, 6, 30), D("402.20")),  # 61/91
        (BillingInterval(IntervalUnit.YEAR), date(2023, 7, 1), date(2023, 12, 31), D("302.47")),  # 184/365
        (BillingInterval(IntervalUnit.DAY, 10), date(2024, 1, 7), date(2024, 1, 11), D("300.00")),  # 5/10
        (BillingInterval(IntervalUnit.MONTH), date(2024, 12, 1), date(2024, 12, 31), D("600.00")),
    ],
)
def test_interval_is_the_calendar_period_containing_the_start(
    interval: BillingInterval, start: date, end: date, amount: Decimal
) -> None:
    price = Price(FixedParams(D(600)), billing_model=BillingModel.PRORATION, billing_interval=interval)
    assert line(price, Usage(), start, end).amount == amount


def test_seat_changes_give_one_sub_line_each_rounded_cumulatively() -> None:
    price = Price(UnitParams(D(10)), billing_model=BillingModel.PRORATION)
    seats = (
        SeatInterval(date(2024, 3, 1), date(2024, 3, 10), D(1)),
        SeatInterval(date(2024, 3, 11), date(2024, 3, 20), D(1)),
        SeatInterval(date(2024, 3, 21), date(2024, 3, 31), D(1)),
    )
    result = line(price, Usage(seats=seats), date(2024, 3, 1), date(2024, 3, 31))
    # 100/31 = 3.2258..., running totals 3.23, 6.45, 10.00: parts 3.23, 3.22, 3.55.
    assert [s.amount for s in result.sub_lines] == [D("3.23"), D("3.22"), D("3.55")]
    assert result.amount == D("10.00")
    assert result.usage is None


def test_seat_intervals_with_different_counts() -> None:
    seats = (
        SeatInterval(date(2024, 4, 1), date(2024, 4, 15), D(2)),
        SeatInterval(date(2024, 4, 16), date(2024, 4, 30), D(5)),
    )
    result = line(SEAT, Usage(seats=seats), date(2024, 4, 1), date(2024, 4, 30))
    assert [(s.usage, s.amount) for s in result.sub_lines] == [(D(2), D("15.00")), (D(5), D("37.50"))]


def test_free_seats_come_off_each_interval() -> None:
    price = Price(UnitParams(D(30)), free_units=D(1), billing_model=BillingModel.PRORATION)
    seats = (
        SeatInterval(date(2024, 4, 1), date(2024, 4, 15), D(1)),
        SeatInterval(date(2024, 4, 16), date(2024, 4, 30), D(3)),
    )
    result = line(price, Usage(seats=seats), date(2024, 4, 1), date(2024, 4, 30))
    assert result.amount == D("30.00")  # 0 seats then 2 seats for half the month
    assert result.free_units == D(1)


def test_minimum_on_a_prorated_line_is_not_prorated() -> None:
    price = Price(UnitParams(D(30)), minimum_amount=D(20), billing_model=BillingModel.PRORATION)
    result = line(price, Usage(quantity=D(1)), date(2024, 4, 21), date(2024, 4, 30))
    assert result.amount == D("20.00")
    assert [(s.type, s.amount) for s in result.sub_lines] == [
        (SubLineType.PRORATION, D("10.00")),
        (SubLineType.MINIMUM_AMOUNT, D("10.00")),
    ]


@PROPERTY
@given(
    st.integers(min_value=2000, max_value=2100),
    st.integers(min_value=1, max_value=12),
    st.sets(st.integers(min_value=1, max_value=30), max_size=10),
    st.decimals(min_value=0, max_value=10000, places=2),
    st.integers(min_value=0, max_value=50),
    st.sampled_from(list(RoundingMode)),
)
def test_a_whole_period_equals_the_full_price_however_it_is_split(
    year: int, month: int, cuts: set[int], unit_price: Decimal, seats: int, mode: RoundingMode
) -> None:
    start = date(year, month, 1)
    end = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
    days = sorted(day for day in cuts if day < end.day)
    bounds = [start, *(date(year, month, day + 1) for day in days)]
    intervals = tuple(
        SeatInterval(begin, (bounds[i + 1] - timedelta(days=1)) if i + 1 < len(bounds) else end, D(seats))
        for i, begin in enumerate(bounds)
    )
    price = Price(UnitParams(unit_price), billing_model=BillingModel.PRORATION)
    result = price_line(price, Usage(seats=intervals), 2, mode, ServicePeriod(start, end))
    full_price = CONTEXT.multiply(unit_price, D(seats))
    assert result.exact_amount == full_price
    assert result.amount == quantize(full_price, 2, mode)
    assert sum(s.amount for s in result.sub_lines) == result.amount
    assert len(result.sub_lines) == len(intervals)


def test_proration_errors() -> None:
    with pytest.raises(UsageError) as caught:
        line(SEAT, Usage(quantity=D(1)), date(2024, 4, 20), date(2024, 5, 2))
    assert caught.value.field == "endDate"
    with pytest.raises(UsageError) as caught:
        price_line(SEAT, Usage(quantity=D(1)), 2, RoundingMode.HALF_UP)
    assert caught.value.field == "startDate"
    outside = (SeatInterval(date(2024, 3, 31), date(2024, 4, 5), D(1)),)
    with pytest.raises(UsageError) as caught:
        line(SEAT, Usage(seats=outside), date(2024, 4, 1), date(2024, 4, 30))
    assert caught.value.field == "seats[0]"
    overlapping = (
        SeatInterval(date(2024, 4, 1), date(2024, 4, 10), D(1)),
        SeatInterval(date(2024, 4, 10), date(2024, 4, 30), D(2)),
    )
    with pytest.raises(UsageError) as caught:
        line(SEAT, Usage(seats=overlapping), date(2024, 4, 1), date(2024, 4, 30))
    assert caught.value.field == "seats[1].startDate"
    with pytest.raises(UsageError) as caught:
        ServicePeriod(date(2024, 4, 2), date(2024, 4, 1))
    assert caught.value.field == "endDate"
    with pytest.raises(UsageError) as caught:
        Usage(seats=(SeatInterval(date(2024, 4, 2), date(2024, 4, 1), D(1)),))
    assert caught.value.field == "seats[0].endDate"


def test_seats_need_a_prorated_price() -> None:
    seats = (SeatInterval(date(2024, 4, 1), date(2024, 4, 30), D(1)),)
    with pytest.raises(UsageError) as caught:
        line(Price(UnitParams(D(1))), Usage(seats=seats), date(2024, 4, 1), date(2024, 4, 30))
    assert caught.value.field == "seats"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"tiers": [{"from": "0", "to": None}], "billingModel": "proration"}, "billingModel"),
        ({"tiers": [{"from": "0", "to": None}], "billingModel": "partial"}, "billingModel"),
        ({"tiers": [{"from": "0", "to": None}], "billingInterval": "week"}, "billingInterval"),
        ({"tiers": [{"from": "0", "to": None}], "billingIntervalCount": 2}, "billingIntervalCount"),
        (
            {"tiers": [{"from": "0", "to": None}], "billingInterval": "day", "billingIntervalCount": 0},
            "billingIntervalCount",
        ),
    ],
)
def test_billing_fields_validation(raw: dict[str, object], field: str) -> None:
    with pytest.raises(PriceValidationError) as caught:
        parse_price("graduated", raw)
    assert caught.value.field == field


def test_parse_day_interval() -> None:
    price = parse_price(
        "unit",
        {
            "unitPrice": "7",
            "billingModel": "proration",
            "billingInterval": "day",
            "billingIntervalCount": "7",
        },
    )
    assert price.billing_interval == BillingInterval(IntervalUnit.DAY, 7)
    assert line(price, Usage(quantity=D(1)), date(2024, 1, 1), date(2024, 1, 3)).amount == D("3.00")


def test_billing_interval_as_a_number_of_days() -> None:
    from billfold.core.pricing import parse_price

    by_number = parse_price("fixed", {"amount": "30", "billingModel": "proration", "billingInterval": "30"})
    by_unit = parse_price(
        "fixed",
        {"amount": "30", "billingModel": "proration", "billingInterval": "day", "billingIntervalCount": 30},
    )
    assert by_number.billing_interval == by_unit.billing_interval
    assert parse_price("fixed", {"amount": "30", "billingInterval": 45}).billing_interval.count == 45


@pytest.mark.parametrize(
    ("interval", "day", "expected"),
    [
        (BillingInterval(IntervalUnit.MONTH), date(9999, 12, 15), (date(9999, 12, 1), date(9999, 12, 31))),
        (BillingInterval(IntervalUnit.QUARTER), date(9999, 11, 2), (date(9999, 10, 1), date(9999, 12, 31))),
        (BillingInterval(IntervalUnit.YEAR), date(9999, 1, 1), (date(9999, 1, 1), date(9999, 12, 31))),
        (BillingInterval(IntervalUnit.DAY, 1), date.max, (date.max, date.max)),
        (BillingInterval(IntervalUnit.DAY, 31), date(9999, 12, 1), (date(9999, 12, 1), date.max)),
        (BillingInterval(IntervalUnit.MONTH), date.min, (date.min, date(1, 1, 31))),
    ],
)
def test_billing_periods_reach_the_last_day_of_the_calendar(
    interval: BillingInterval, day: date, expected: tuple[date, date]
) -> None:
    assert interval.period_containing(day) == expected


def test_a_day_period_past_the_calendar_is_a_usage_error_on_the_start_date() -> None:
    with pytest.raises(UsageError) as caught:
        BillingInterval(IntervalUnit.DAY, 32).period_containing(date(9999, 12, 1))
    assert caught.value.field == "startDate"
    assert "9999-12-31" in str(caught.value)
