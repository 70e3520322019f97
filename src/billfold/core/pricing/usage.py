"""The usage a price is applied to.

One :class:`Usage` type serves every model: a ``quantity`` (unit, fixed, package, tiered models), the
individual ``transactions`` (percentage, basis points), the usage per combination of dimension values
(matrix), or seat ``intervals`` within the service period (prorated per-seat prices). Usage is never
negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billfold.core.money import ZERO
from billfold.core.pricing import limits
from billfold.core.pricing.errors import UsageError

_INVALID = "must be a finite, non-negative decimal number"


def _valid(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite() and value >= ZERO


@dataclass(frozen=True, slots=True)
class DimensionUsage:
    """The usage of one combination of dimension values (in the price's dimension order)."""

    values: tuple[str, ...]
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class SeatInterval:
    """``quantity`` seats from ``start_date`` to ``end_date``, both inclusive."""

    start_date: date
    end_date: date
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class ServicePeriod:
    """A line's service dates, both inclusive."""

    start_date: date
    end_date: date

    def __post_init__(self) -> None:
        if self.end_date < self.start_date:
            raise UsageError("endDate", "must not be before startDate")


@dataclass(frozen=True, slots=True)
class Usage:
    """What was used. Give the field the price's model reads; leave the others empty.

    ``quantity`` ``None`` means no quantity was given: the fixed model then charges one unit, the
    others price zero.
    """

    quantity: Decimal | None = None
    transactions: tuple[Decimal, ...] = ()
    dimensions: tuple[DimensionUsage, ...] = ()
    seats: tuple[SeatInterval, ...] = ()

    def __post_init__(self) -> None:
        limits.within("transactions", self.transactions, limits.MAX_TRANSACTIONS, "transactions", usage=True)
        limits.within("usage", self.dimensions, limits.MAX_USAGE_BY_DIMENSION, "entries", usage=True)
        limits.within("seats", self.seats, limits.MAX_SEAT_INTERVALS, "intervals", usage=True)
        if self.quantity is not None and not _valid(self.quantity):
            raise UsageError("quantity", _INVALID)
        for index, amount in enumerate(self.transactions):
            if not _valid(amount):
                raise UsageError(f"transactions[{index}]", _INVALID)
        for index, entry in enumerate(self.dimensions):
            if not _valid(entry.quantity):
                raise UsageError(f"usage[{index}].quantity", _INVALID)
        for index, seat in enumerate(self.seats):
            if not _valid(seat.quantity):
                raise UsageError(f"seats[{index}].quantity", _INVALID)
            if seat.end_date < seat.start_date:
                raise UsageError(f"seats[{index}].endDate", "must not be before startDate")
