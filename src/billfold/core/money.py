"""Money primitives: currencies, exact arithmetic, the one rounding function, the one decimal parser and
the one largest-remainder allocation.

Rules (see DESIGN.md, "Money and rounding"):

* Amounts are :class:`~decimal.Decimal`; a float never touches one. Every decimal input is read by
  :func:`parse_decimal`, and every "has no more places than the currency" check is :func:`fits`.
* Arithmetic runs in :data:`CONTEXT`, a private context wide enough that products of 12-decimal unit
  prices and 12-decimal quantities are exact, so results never depend on the process-global context.
* Rounding happens only in :func:`quantize`, and the mode is always passed explicitly.
* Every split hands out its leftover units with :func:`largest_remainder` (ties to the earliest part),
  through :func:`allocate` (amounts), :func:`allocate_units` (minor units) or
  :func:`billfold.core.pricing.allocation.shares` (sub lines), so parts always sum exactly to the whole.
"""

from __future__ import annotations

import decimal
import heapq
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

# 80 significant digits: inputs are capped far below this (MAX_INTEGER_DIGITS, MAX_PLACES), so every
# product and sum computed here is exact. Traps turn silent garbage (NaN, overflow) into exceptions.
CONTEXT = decimal.Context(
    prec=80,
    rounding=decimal.ROUND_HALF_UP,
    Emin=-999_999,
    Emax=999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

ZERO = Decimal(0)
ONE = Decimal(1)


class RoundingMode(Enum):
    """How a value is rounded to its quantum. Half-up rounds halves away from zero."""

    HALF_UP = decimal.ROUND_HALF_UP
    HALF_EVEN = decimal.ROUND_HALF_EVEN
    UP = decimal.ROUND_UP
    DOWN = decimal.ROUND_DOWN


class CurrencyMismatchError(ValueError):
    """Two amounts in different currencies were combined."""


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency: its alphabetic code and minor-unit exponent (USD 2, JPY 0, BHD 3)."""

    code: str
    exponent: int

    @property
    def quantum(self) -> Decimal:
        """The smallest unit, e.g. ``Decimal("0.01")`` for USD and ``Decimal("1")`` for JPY."""
        return Decimal(1).scaleb(-self.exponent)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency. Arithmetic refuses to mix currencies."""

    amount: Decimal
    currency: Currency

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(CONTEXT.add(self.amount, other.amount), self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(CONTEXT.subtract(self.amount, other.amount), self.currency)

    def rounded(self, mode: RoundingMode) -> Money:
        return Money(quantize(self.amount, self.currency.exponent, mode), self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"cannot combine {self.currency.code} and {other.currency.code}")


_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(0, 19)}


def quantize(value: Decimal, exponent: int, mode: RoundingMode) -> Decimal:
    """Round ``value`` to ``exponent`` decimal places with ``mode``. The only rounding in Billfold."""
    quantum = _QUANTA.get(exponent)
    if quantum is None:
        quantum = Decimal(1).scaleb(-exponent)
    return value.quantize(quantum, rounding=mode.value, context=CONTEXT)


def multiply(a: Decimal, b: Decimal) -> Decimal:
    """Exact product (within :data:`CONTEXT`'s 80 digits)."""
    return CONTEXT.multiply(a, b)


def add(*values: Decimal) -> Decimal:
    """Exact sum of ``values``."""
    total = ZERO
    for value in values:
        total = CONTEXT.add(total, value)
    return total


def divide(a: Decimal, b: Decimal) -> Decimal:
    """Quotient to 80 significant digits; callers round the result explicitly with :func:`quantize`."""
    return CONTEXT.divide(a, b)


def to_plain(value: Decimal) -> str:
    """Fixed-point text, never scientific notation: ``1E-12`` -> ``"0.000000000001"``, ``-0`` -> ``"0"``."""
    text = format(value, "f")
    if text.startswith("-") and value.is_zero():
        return text[1:]
    return text


def to_plain_normalized(value: Decimal) -> str:
    """Fixed-point text without trailing zeros (``"1.500"`` -> ``"1.5"``, ``"100"`` stays ``"100"``)."""
    if value.is_zero():
        return "0"
    return to_plain(value.normalize(CONTEXT))


# -- parsing ----------------------------------------------------------------------------------------

MAX_PLACES = 12
MAX_INTEGER_DIGITS = 18
MAX_TEXT_LENGTH = 64
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_DECIMAL_TEXT = re.compile(DECIMAL_PATTERN)
_WRONG_TYPE = {
    (True, False): 'must be a decimal string such as "12.50", not a JSON number or other type',
    (False, True): "must be a JSON number",
    (True, True): 'must be a decimal string such as "12.50" or a JSON number',
}


def parse_decimal(
    raw: object,
    *,
    text: bool = True,
    numbers: bool = False,
    negative: bool = True,
    places: int = MAX_PLACES,
) -> Decimal:
    """The one parser of decimal input (the native API, every vendor API, price configurations).

    ``text``: a plain decimal string (``"-12.50"``; at most 64 characters, no exponent, NaN or
    Infinity). ``numbers``: an ``int`` or an exact :class:`~decimal.Decimal` (a JSON number parsed with
    ``parse_float=Decimal``); never a float or a boolean. The value must be finite, have at most 18
    digits before the point and at most ``places`` after it (zeros beyond ``places`` do not count and
    are dropped: ``"1.50000000000000"`` is ``1.5``), and be non-negative unless ``negative``. A zero
    with an absurd exponent (``0E+999999``) is plain ``0``. Any fault is a :class:`ValueError` whose
    message says what is wrong (the caller names the field).
    """
    if isinstance(raw, str) and text:
        if len(raw) > MAX_TEXT_LENGTH:
            raise ValueError(f"must be a decimal string of at most {MAX_TEXT_LENGTH} characters")
        if not _DECIMAL_TEXT.fullmatch(raw):
            raise ValueError('must be a plain decimal string such as "12.50" (no exponent, NaN or Infinity)')
        number = Decimal(raw)
    elif numbers and isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        number = Decimal(raw)
    else:
        raise ValueError(_WRONG_TYPE[(text, numbers)])
    if not number.is_finite():
        raise ValueError("must be a finite number")
    exponent = int(number.as_tuple().exponent)
    if number.is_zero():
        return number if -places <= exponent <= 0 else ZERO
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError(f"must have at most {MAX_INTEGER_DIGITS} digits before the decimal point")
    if not -places <= exponent <= 0:
        number = number.normalize(CONTEXT)
        if -int(number.as_tuple().exponent) > places:
            raise ValueError(f"must have at most {places} decimal places")
        if int(number.as_tuple().exponent) > 0:  # 1E+5 is 100000
            number = number.quantize(ONE, context=CONTEXT)
    if number < 0 and not negative:
        raise ValueError("must not be negative")
    return number


def fits(value: Decimal, exponent: int) -> bool:
    """Whether ``value`` is written with at most ``exponent`` decimal places, the minor unit of its
    currency: the one "fits the currency" check (``1.50`` fits USD; ``1.505`` and ``1.500`` do not,
    and ``100.0`` does not fit JPY: an amount is written as the currency writes it)."""
    if not value.is_finite():
        return False
    return -int(value.as_tuple().exponent) <= exponent


# -- allocation -------------------------------------------------------------------------------------


def largest_remainder(missing: int, remainders: Sequence[Any]) -> list[int]:
    """The largest-remainder method's one decision, made here for every split in Billfold: which parts
    receive the ``missing`` units once every part is its exact share rounded down.

    ``remainders`` are what rounding down took off each part (from 0 up to one unit, as numbers that
    compare: integers over one denominator, or decimals). The indices of the ``missing`` parts with the
    largest remainders are returned, ties to the earliest part; each gets one unit, so the parts sum to
    the whole and each stays less than one unit from its exact share. A part whose share is whole never
    gets one: if that would be needed (or ``missing`` is negative or more than the parts), the whole was
    not the sum of the shares, and it is a :class:`ValueError`.
    """
    count = len(remainders)
    if missing == 0:
        return []
    if not 0 < missing <= count:
        raise ValueError(f"{missing} units cannot go to {count} parts, one each")
    # Both are sorted(..., reverse=True)[:missing] (nlargest is documented so), and that sort is stable:
    # equal remainders keep their order, so ties go to the earliest part. nlargest is quicker when few
    # units are missing.
    key = remainders.__getitem__
    if missing * 16 < count:
        chosen = heapq.nlargest(missing, range(count), key=key)
    else:
        chosen = sorted(range(count), key=key, reverse=True)[:missing]
    if not remainders[chosen[-1]] > 0:
        raise ValueError(f"{missing} units cannot go to parts whose shares are already whole")
    return chosen


def allocate_units(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` whole (minor) units in proportion to ``weights`` by :func:`largest_remainder`.

    Each part is its exact share truncated toward zero; the units left over go one each to the parts
    with the largest remainders, ties to the earliest part. Weights count by absolute value; all-zero
    weights split evenly; a negative total gives non-positive parts. The parts sum to ``total`` exactly
    and each is less than one unit from its exact share.
    """
    count = len(weights)
    if count == 0:
        if total:
            raise ValueError("cannot allocate a non-zero total over no parts")
        return []
    magnitude = -total if total < 0 else total
    scaled = [-weight if weight < 0 else weight for weight in weights]
    weight_sum = sum(scaled)
    if weight_sum == 0:
        scaled, weight_sum = [1] * count, count
    floors: list[int] = []
    remainders: list[int] = []
    for weight in scaled:
        whole, remainder = divmod(magnitude * weight, weight_sum)
        floors.append(whole)
        remainders.append(remainder)
    for index in largest_remainder(magnitude - sum(floors), remainders):
        floors[index] += 1
    if total < 0:
        return [-unit for unit in floors]
    return floors


def allocate(total: Decimal, weights: Sequence[Decimal], exponent: int) -> list[Decimal]:
    """Split ``total`` (already a multiple of the quantum) into parts proportional to ``weights``:
    :func:`allocate_units` on minor units (weights scaled by one power of ten to integers, which
    changes no ratio). Every part has ``exponent`` decimal places and they sum exactly to ``total``.
    """
    if not weights:
        if not total.is_zero():
            raise ValueError("cannot allocate a non-zero total over no parts")
        return []
    quantum = Decimal(1).scaleb(-exponent)
    scaled = total.scaleb(exponent, CONTEXT)
    units_total = int(scaled)
    if units_total != scaled:
        raise ValueError(f"total {total} is not a multiple of {quantum}")
    units = allocate_units(units_total, integer_weights([weight.copy_abs() for weight in weights]))
    return [CONTEXT.multiply(Decimal(unit), quantum) for unit in units]


def integer_weights(values: Sequence[Decimal]) -> list[int]:
    """Finite decimals scaled by one power of ten so that all become integers (ratios unchanged)."""
    places = max((-int(value.as_tuple().exponent) for value in values), default=0)
    places = max(places, 0)
    return [int(value.scaleb(places, CONTEXT)) for value in values]
