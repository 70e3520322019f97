"""Fixed (flat fee) pricing: ``amount`` once, or ``amount`` × quantity when a quantity is given, as
Orb's fixed fees (``fixed_price_quantity``) and Stripe's flat-rate prices. A negative amount makes a
credit line. One ``fixed_price`` sub line (usage = the quantity, 1 when none is given).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from billfold.core.money import CONTEXT, ONE
from billfold.core.pricing import fields
from billfold.core.pricing.results import OrbType, PricedAmount, SubLineKind, SubLineType, make_kind
from billfold.core.pricing.usage import Usage

NAME = "fixed"
FIELDS = frozenset({"amount"})


@dataclass(frozen=True, slots=True)
class FixedParams:
    """``amount`` once, or per unit of the quantity when one is given (negative for a credit)."""

    amount: Decimal
    kind: SubLineKind = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields.finite("amount", self.amount)
        kind = make_kind(SubLineType.FIXED_PRICE, "Fixed fee", OrbType.OTHER, {"fixedPrice": self.amount})
        object.__setattr__(self, "kind", kind)

    @property
    def prorated_unit_amount(self) -> Decimal:
        """The amount per unit and full billing period that proration takes shares of."""
        return self.amount


def parse(raw: Mapping[str, object]) -> FixedParams:
    fields.reject_unknown(raw, FIELDS)
    return FixedParams(fields.required_decimal(raw, "amount"))


def price(params: FixedParams, usage: Usage) -> PricedAmount:
    quantity = ONE if usage.quantity is None else usage.quantity
    amount = CONTEXT.multiply(quantity, params.amount)
    return PricedAmount(amount, [(params.kind, quantity, amount)], quantity)
