"""Money primitives: currencies, exact arithmetic, the one rounding function and allocation.

Rules (see DESIGN.md, "Money and rounding"):

* Amounts are :class:`~decimal.Decimal`; a float never touches one.
* Arithmetic runs in :data:`CONTEXT`, a private context wide enough that products of 12-decimal unit
  prices and 12-decimal quantities are exact, so results never depend on the process-global context.
* Rounding happens only in :func:`quantize`, and the mode is always passed explicitly.
* Every split uses :func:`allocate` (largest remainder, ties to the earliest part), so parts always sum
  exactly to the whole.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

# 80 significant digits: inputs are capped far below this (see MAX_INPUT_DIGITS in the API), so every
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


def allocate(total: Decimal, weights: Sequence[Decimal], exponent: int) -> list[Decimal]:
    """Split ``total`` (already a multiple of the quantum) into parts proportional to ``weights``.

    Largest remainder: each part is its exact share truncated toward zero to the quantum, then the
    leftover quanta go one each to the parts with the largest truncated remainders, ties to the
    earliest part. The parts always sum exactly to ``total`` and each differs from its exact share by
    less than one quantum. Weights are taken by absolute value; when they are all zero the total is
    split evenly. A negative total gives negative parts.
    """
    count = len(weights)
    if count == 0:
        if not total.is_zero():
            raise ValueError("cannot allocate a non-zero total over no parts")
        return []
    quantum = Decimal(1).scaleb(-exponent)
    magnitude = total.copy_abs()
    units_total = int(magnitude.scaleb(exponent, CONTEXT).to_integral_exact(context=CONTEXT))
    if CONTEXT.multiply(Decimal(units_total), quantum) != magnitude:
        raise ValueError(f"total {total} is not a multiple of {quantum}")
    scaled = _as_integers([weight.copy_abs() for weight in weights])
    weight_sum = sum(scaled)
    if weight_sum == 0:
        scaled, weight_sum = [1] * count, count
    # Exact integer arithmetic: each share is units_total * w / Σw = whole + remainder / Σw.
    units: list[int] = []
    remainders: list[int] = []
    for weight in scaled:
        whole, remainder = divmod(units_total * weight, weight_sum)
        units.append(whole)
        remainders.append(remainder)
    leftover = units_total - sum(units)
    # Stable sort: equal remainders keep their original order, so ties go to the earliest part.
    order = sorted(range(count), key=remainders.__getitem__, reverse=True)
    for index in order[:leftover]:
        units[index] += 1
    sign = -1 if total < 0 else 1
    return [CONTEXT.multiply(Decimal(sign * u), quantum) for u in units]


def _as_integers(values: Sequence[Decimal]) -> list[int]:
    """The values scaled by one power of ten so that all become integers (ratios unchanged)."""
    places = max((-value.as_tuple().exponent for value in values if value.is_finite()), default=0)  # type: ignore[operator]
    places = max(places, 0)
    return [int(value.scaleb(places, CONTEXT)) for value in values]
