"""The derived amounts of a line, a group or an invoice, and how a plain line's amounts are computed.

Every figure here is already rounded to the currency's minor unit. A group's or invoice's amounts are the
exact sum of its lines' amounts (:meth:`Amounts.__add__`), never a re-rounding of an unrounded total.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billfold.core.money import CONTEXT, ZERO, RoundingMode, divide, multiply, quantize

UNIT_PRICE_EXPONENT = 12


@dataclass(frozen=True, slots=True)
class Amounts:
    """subtotal (base) + adjustment (signed; discounts negative) = net; net + tax = total."""

    subtotal: Decimal = ZERO
    discount: Decimal = ZERO
    adjustment: Decimal = ZERO
    net: Decimal = ZERO
    tax: Decimal = ZERO
    total: Decimal = ZERO

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(
            subtotal=CONTEXT.add(self.subtotal, other.subtotal),
            discount=CONTEXT.add(self.discount, other.discount),
            adjustment=CONTEXT.add(self.adjustment, other.adjustment),
            net=CONTEXT.add(self.net, other.net),
            tax=CONTEXT.add(self.tax, other.tax),
            total=CONTEXT.add(self.total, other.total),
        )

    def __neg__(self) -> Amounts:
        return Amounts(
            subtotal=-self.subtotal,
            discount=-self.discount,
            adjustment=-self.adjustment,
            net=-self.net,
            tax=-self.tax,
            total=-self.total,
        )

    def __sub__(self, other: Amounts) -> Amounts:
        return self + (-other)

    def reconciles(self) -> bool:
        """True when net = subtotal + adjustment and total = net + tax, exactly."""
        return (
            CONTEXT.add(self.subtotal, self.adjustment) == self.net
            and CONTEXT.add(self.net, self.tax) == self.total
        )


def base_amounts(subtotal: Decimal) -> Amounts:
    """Amounts of a line with no adjustments or taxes: every figure derives from the rounded base."""
    return Amounts(subtotal=subtotal, net=subtotal, total=subtotal)


def unit_price_subtotal(quantity: Decimal, unit_price: Decimal, exponent: int, mode: RoundingMode) -> Decimal:
    """``quantity × unitPrice``, computed exactly and rounded once to the currency's minor unit."""
    return quantize(multiply(quantity, unit_price), exponent, mode)


def derived_unit_price(amount: Decimal, quantity: Decimal) -> Decimal:
    """The unit price shown for a line given as a fixed amount (amount / quantity, 12 places, half-up)."""
    if quantity.is_zero():
        return amount if amount.is_zero() else ZERO
    return quantize(divide(amount, quantity), UNIT_PRICE_EXPONENT, RoundingMode.HALF_UP)
