"""Basis-point pricing: ``basis_points`` hundredths of a percent of each transaction's amount, each
transaction's charge capped at ``max_per_transaction`` when set, as Orb's ``bps`` price (``bps``,
``per_unit_maximum``: "the maximum amount to charge for any one event").

The charges stay exact until the line is rounded once: 10,000 transactions of 1.00 at 25 basis points
make 25.00, where rounding each 0.0025 would make 0.00. One ``price_tier_basis_points`` sub line
(usage = the total transacted amount).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from billfold.core.money import CONTEXT, ZERO, to_plain_normalized
from billfold.core.pricing import fields
from billfold.core.pricing.results import OrbType, PricedAmount, SubLineType, make_kind
from billfold.core.pricing.usage import Usage

NAME = "basis_points"
FIELDS = frozenset({"basisPoints", "maxPerTransaction"})


@dataclass(frozen=True, slots=True)
class BasisPointsParams:
    """``basis_points``: ``Decimal("25")`` is 0.25 %."""

    basis_points: Decimal
    max_per_transaction: Decimal | None = None
    factor: Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields.non_negative("basisPoints", self.basis_points)
        fields.optional_non_negative("maxPerTransaction", self.max_per_transaction)
        object.__setattr__(self, "factor", self.basis_points.scaleb(-4, CONTEXT))


def parse(raw: Mapping[str, object]) -> BasisPointsParams:
    fields.reject_unknown(raw, FIELDS)
    return BasisPointsParams(
        fields.required_decimal(raw, "basisPoints"), fields.decimal_field(raw, "maxPerTransaction")
    )


def price(params: BasisPointsParams, usage: Usage) -> PricedAmount:
    volume = ZERO
    amount = ZERO
    capped = 0
    cap = params.max_per_transaction
    for value in usage.transactions:
        volume = CONTEXT.add(volume, value)
        if cap is not None:
            charge = CONTEXT.multiply(value, params.factor)
            if charge > cap:
                charge = cap
                capped += 1
            amount = CONTEXT.add(amount, charge)
    if cap is None:
        amount = CONTEXT.multiply(volume, params.factor)
    kind = make_kind(
        SubLineType.PRICE_TIER_BASIS_POINTS,
        f"{to_plain_normalized(params.basis_points)} bps of transactions",
        OrbType.OTHER,
        {
            "from": ZERO,
            "to": None,
            "basisPoints": params.basis_points,
            "maxPerTransaction": cap,
            "transactions": len(usage.transactions),
            "cappedTransactions": capped,
        },
    )
    return PricedAmount(amount, [(kind, volume, amount)], volume)
