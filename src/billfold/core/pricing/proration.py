"""Proration of fixed and per-seat (unit) prices over their billing interval.

A price with billing model ``proration`` is charged for the share of its billing interval that the
line's service dates cover: dates are inclusive at both ends and days are actual days. The billing
interval is the calendar month, quarter or year that contains the service start date, or, for an
interval of N days, the N days starting at the service start date (Stripe and Lago prorate by actual
days the same way). The service dates must lie within that one interval.

Seat changes come as intervals of constant quantity; each gives one ``proration`` sub line (its dates,
size in days, seats and amount). Amounts are fractions of the period kept to 30 decimal places until
the line is rounded (a whole period comes out exact), and the sub lines are rounded cumulatively
(each is its rounded running total minus the previous one), so a period billed in any number of
intervals of the same seat count totals exactly the full price.

Worked example (Sequence, "Seat-based pricing"): a 15.00 monthly seat added for the second half of a
30-day month costs 7.50.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from billfold.core.money import CONTEXT, ZERO
from billfold.core.pricing.errors import PriceValidationError, UsageError
from billfold.core.pricing.results import OrbType, Part, PricedAmount, SubLineType, make_kind
from billfold.core.pricing.usage import SeatInterval, ServicePeriod, Usage

# A share of a period is a fraction (1/31); running totals are kept to 30 decimal places, far below any
# minor unit, so that the differences between them (the sub lines' exact amounts) add back up exactly.
_PLACES = Decimal(1).scaleb(-30)


class IntervalUnit(StrEnum):
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True, slots=True)
class BillingInterval:
    """A calendar ``month``, ``quarter`` or ``year``, or ``count`` days (``unit`` ``day``)."""

    unit: IntervalUnit = IntervalUnit.MONTH
    count: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.unit, IntervalUnit):
            raise PriceValidationError("billingInterval", "must be one of: day, month, quarter, year")
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise PriceValidationError("billingIntervalCount", "must be a positive integer")
        if self.unit is not IntervalUnit.DAY and self.count != 1:
            raise PriceValidationError("billingIntervalCount", "only a day interval takes a count")

    def period_containing(self, day: date) -> tuple[date, date]:
        """The billing period (first and last day, inclusive) that contains ``day``. A period of N days
        that would run past 9999-12-31 is a :class:`UsageError` on ``startDate``; calendar periods always
        fit (the last one ends on 9999-12-31)."""
        if self.unit is IntervalUnit.DAY:
            if date.max.toordinal() - day.toordinal() < self.count - 1:
                raise UsageError(
                    "startDate", f"a billing period of {self.count} days from {day} would pass 9999-12-31"
                )
            return day, day + timedelta(days=self.count - 1)
        months = {IntervalUnit.MONTH: 1, IntervalUnit.QUARTER: 3, IntervalUnit.YEAR: 12}[self.unit]
        first_month = (day.month - 1) // months * months + 1
        last_month = first_month + months - 1
        last_day = calendar.monthrange(day.year, last_month)[1]
        return date(day.year, first_month, 1), date(day.year, last_month, last_day)


def _days(start: date, end: date) -> int:
    return (end - start).days + 1


def prorate(
    unit_amount: Decimal,
    usage: Usage,
    service: ServicePeriod,
    interval: BillingInterval,
    default_quantity: Decimal,
    free_units: Decimal | None,
) -> PricedAmount:
    """Price ``unit_amount`` per seat and full period over the seat intervals of ``usage`` (or, when
    it has none, its quantity over the whole service period)."""
    period_start, period_end = interval.period_containing(service.start_date)
    if service.end_date > period_end:
        raise UsageError(
            "endDate",
            f"a prorated line must lie within one billing period ({period_start} – {period_end})",
        )
    period_days = Decimal(_days(period_start, period_end))
    quantity = default_quantity if usage.quantity is None else usage.quantity
    seats = usage.seats or (SeatInterval(service.start_date, service.end_date, quantity),)
    _check_seats(seats, service)
    numerator = ZERO
    previous = ZERO
    parts: list[Part] = []
    for seat in seats:
        seats_billed = _after_free_units(seat.quantity, free_units)
        days = _days(seat.start_date, seat.end_date)
        seat_days = CONTEXT.multiply(seats_billed, Decimal(days))
        numerator = CONTEXT.add(numerator, CONTEXT.multiply(seat_days, unit_amount))
        running = CONTEXT.divide(numerator, period_days).quantize(_PLACES, ROUND_HALF_EVEN, CONTEXT)
        kind = make_kind(
            SubLineType.PRORATION,
            f"Prorated {days} of {period_days} days ({seat.start_date} – {seat.end_date})",
            OrbType.OTHER,
            {
                "startDate": seat.start_date,
                "endDate": seat.end_date,
                "days": days,
                "periodStart": period_start,
                "periodEnd": period_end,
                "periodDays": int(period_days),
                "quantity": seats_billed,
                "unitPrice": unit_amount,
            },
        )
        parts.append((kind, seats_billed, CONTEXT.subtract(running, previous)))
        previous = running
    billed = _after_free_units(quantity, free_units) if len(seats) == 1 else None
    return PricedAmount(previous, parts, billed, cumulative=True)


def _after_free_units(quantity: Decimal, free_units: Decimal | None) -> Decimal:
    if free_units is None:
        return quantity
    rest = CONTEXT.subtract(quantity, free_units)
    return rest if rest > ZERO else ZERO


def _check_seats(seats: tuple[SeatInterval, ...], service: ServicePeriod) -> None:
    """Seat intervals lie within the service dates, in order, without overlapping."""
    previous_end: date | None = None
    for index, seat in enumerate(seats):
        if seat.start_date < service.start_date or seat.end_date > service.end_date:
            raise UsageError(
                f"seats[{index}]",
                f"must lie within the service dates ({service.start_date} – {service.end_date})",
            )
        if previous_end is not None and seat.start_date <= previous_end:
            raise UsageError(
                f"seats[{index}].startDate", "must be after the endDate of the interval before it"
            )
        previous_end = seat.end_date
