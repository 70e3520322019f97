"""Graduated (progressive) pricing: each slice of the quantity is priced at its own tier's unit price,
plus the flat fee of every tier the quantity reaches.

Semantics follow Stripe's ``tiers_mode=graduated``, Lago's graduated charge and Orb's ``tiered`` price:
a tier is reached once the quantity enters it (is above its ``from``), and the first tier is always
reached, so its flat fee is charged even at zero usage, as Lago, Stripe and OpenMeter do. Quantities may
be decimal. Sub lines: one ``price_tier_unit`` per tier reached (usage = the units in that tier), and
one ``price_tier_flat`` per reached tier that has a flat fee.

Worked example (Sequence, "Usage-based pricing"): tiers 0–100 at 1.00 + 20 flat, 100+ at 0.75 + 50
flat; 125 units cost 100 + 20 + 18.75 + 50 = 188.75.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from billfold.core.money import CONTEXT, ZERO
from billfold.core.pricing import fields
from billfold.core.pricing.results import Part, PricedAmount
from billfold.core.pricing.tiers import Tier, TierRow, check_tiers, parse_tiers, tier_rows
from billfold.core.pricing.usage import Usage

NAME = "graduated"
FIELDS = frozenset({"tiers"})


@dataclass(frozen=True, slots=True)
class GraduatedParams:
    """``tiers``: contiguous half-open tiers (see :mod:`billfold.core.pricing.tiers`)."""

    tiers: tuple[Tier, ...]
    rows: tuple[TierRow, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_tiers(self.tiers)
        object.__setattr__(self, "rows", tier_rows(self.tiers))


def parse(raw: Mapping[str, object]) -> GraduatedParams:
    fields.reject_unknown(raw, FIELDS)
    return GraduatedParams(parse_tiers(raw))


def price(params: GraduatedParams, usage: Usage) -> PricedAmount:
    quantity = ZERO if usage.quantity is None else usage.quantity
    add = CONTEXT.add
    subtract = CONTEXT.subtract
    multiply = CONTEXT.multiply
    total = ZERO
    parts: list[Part] = []
    for row in params.rows:
        start = row.from_
        if quantity <= start and row.index:
            break
        end = row.to
        units = subtract(quantity if end is None or quantity < end else end, start)
        cost = multiply(units, row.unit_price)
        total = add(total, cost)
        parts.append((row.unit_kind, units, cost))
        if row.flat_fee is not None:
            total = add(total, row.flat_fee)
            parts.append((row.flat_kind, None, row.flat_fee))
    return PricedAmount(total, parts, quantity)
