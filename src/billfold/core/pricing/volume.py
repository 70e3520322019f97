"""Volume (bulk, "unique tier") pricing: every unit is priced at the unit price of the one tier the
total quantity falls in, plus that tier's flat fee.

Semantics follow Stripe's ``tiers_mode=volume``, Orb's ``bulk`` price and Lago's volume charge: tiers are
half-open, so a quantity equal to a tier's ``to`` is still in that tier, and zero usage falls in the
first tier (whose flat fee is then charged). The amount may drop when the quantity crosses into a
cheaper tier (Stripe's docs show 5 fonts costing 35 USD and 6 fonts 39 USD at a lower unit price).
Sub lines: one ``price_tier_unit`` for the tier (usage = the whole quantity) and a ``price_tier_flat``
when that tier has a flat fee.

Worked example (Sequence, "Usage-based pricing"): tiers 0–100 at 1.00 + 20 flat, 100+ at 0.75 + 50
flat; 125 units cost 125 × 0.75 + 50 = 143.75.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from billfold.core.money import CONTEXT, ZERO
from billfold.core.pricing import fields
from billfold.core.pricing.results import Part, PricedAmount
from billfold.core.pricing.tiers import Tier, TierRow, check_tiers, parse_tiers, tier_bounds, tier_rows
from billfold.core.pricing.usage import Usage

NAME = "volume"
FIELDS = frozenset({"tiers"})


@dataclass(frozen=True, slots=True)
class VolumeParams:
    """``tiers``: contiguous half-open tiers (see :mod:`billfold.core.pricing.tiers`)."""

    tiers: tuple[Tier, ...]
    rows: tuple[TierRow, ...] = field(init=False, repr=False, compare=False)
    bounds: tuple[Decimal, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_tiers(self.tiers)
        rows = tier_rows(self.tiers)
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "bounds", tier_bounds(rows))


def parse(raw: Mapping[str, object]) -> VolumeParams:
    fields.reject_unknown(raw, FIELDS)
    return VolumeParams(parse_tiers(raw))


def price(params: VolumeParams, usage: Usage) -> PricedAmount:
    quantity = ZERO if usage.quantity is None else usage.quantity
    row = params.rows[bisect_left(params.bounds, quantity)]
    cost = CONTEXT.multiply(quantity, row.unit_price)
    parts: list[Part] = [(row.unit_kind, quantity, cost)]
    if row.flat_fee is not None:
        parts.append((row.flat_kind, None, row.flat_fee))
        cost = CONTEXT.add(cost, row.flat_fee)
    return PricedAmount(cost, parts, quantity)
