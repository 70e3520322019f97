"""Unit (per-unit, "standard", "linear") pricing: quantity × unit price, as Orb's ``unit`` price, Lago's
standard charge and Sequence's linear pricing. A negative unit price makes a credit line. One
``unit_price`` sub line (usage = the quantity). The unit price keeps up to 12 decimal places
(``0.000000000001`` works); the line is rounded once, after the product.

Worked example (Sequence, "Usage-based pricing"): 550 units at 0.1 cost 55.00.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from billfold.core.money import CONTEXT, ZERO, to_plain_normalized
from billfold.core.pricing import fields
from billfold.core.pricing.results import OrbType, PricedAmount, SubLineKind, SubLineType, make_kind
from billfold.core.pricing.usage import Usage

NAME = "unit"
FIELDS = frozenset({"unitPrice"})


@dataclass(frozen=True, slots=True)
class UnitParams:
    """``unit_price`` per unit (negative for a credit)."""

    unit_price: Decimal
    kind: SubLineKind = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields.finite("unitPrice", self.unit_price)
        name = f"{to_plain_normalized(self.unit_price)} per unit"
        kind = make_kind(SubLineType.UNIT_PRICE, name, OrbType.OTHER, {"unitPrice": self.unit_price})
        object.__setattr__(self, "kind", kind)

    @property
    def prorated_unit_amount(self) -> Decimal:
        """The amount per unit and full billing period that proration takes shares of."""
        return self.unit_price


def parse(raw: Mapping[str, object]) -> UnitParams:
    fields.reject_unknown(raw, FIELDS)
    return UnitParams(fields.required_decimal(raw, "unitPrice"))


def price(params: UnitParams, usage: Usage) -> PricedAmount:
    quantity = ZERO if usage.quantity is None else usage.quantity
    amount = CONTEXT.multiply(quantity, params.unit_price)
    return PricedAmount(amount, [(params.kind, quantity, amount)], quantity)
