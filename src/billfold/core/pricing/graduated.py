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

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from billfold.core.money import CONTEXT, ZERO
from billfold.core.pricing import fields
from billfold.core.pricing.results import Part, PartPrefix, PricedAmount, SharedParts
from billfold.core.pricing.tiers import Tier, TierRow, check_tiers, parse_tiers, tier_bounds, tier_rows
from billfold.core.pricing.usage import Usage

NAME = "graduated"
FIELDS = frozenset({"tiers"})


@dataclass(frozen=True, slots=True)
class _Step:
    """What pricing a quantity that ends in tier ``row`` needs: the parts of every earlier tier, all
    fully used, as a shared prefix (built once per price, so a line only prices its last tier)."""

    row: TierRow
    earlier: PartPrefix
    flat_part: Part | None


@dataclass(frozen=True, slots=True)
class GraduatedParams:
    """``tiers``: contiguous half-open tiers (see :mod:`billfold.core.pricing.tiers`)."""

    tiers: tuple[Tier, ...]
    bounds: tuple[Decimal, ...] = field(init=False, repr=False, compare=False)
    steps: tuple[_Step, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_tiers(self.tiers)
        rows = tier_rows(self.tiers)
        object.__setattr__(self, "bounds", tier_bounds(rows))
        object.__setattr__(self, "steps", _steps(rows))


def _steps(rows: tuple[TierRow, ...]) -> tuple[_Step, ...]:
    """One step per tier, in time linear in the tiers: the steps share one list of full-tier parts."""
    parts: list[Part] = []
    starts = []
    flat_parts = []
    for row in rows:
        flat_part = None if row.flat_fee is None else (row.flat_kind, None, row.flat_fee)
        starts.append(len(parts))
        flat_parts.append(flat_part)
        if row.to is not None:  # every tier but the last is used in full by the later steps
            width = CONTEXT.subtract(row.to, row.from_)
            parts.append((row.unit_kind, width, CONTEXT.multiply(width, row.unit_price)))
            if flat_part is not None:
                parts.append(flat_part)
    shared = SharedParts(parts)
    return tuple(
        _Step(row, shared.prefix(start), flat_part)
        for row, start, flat_part in zip(rows, starts, flat_parts, strict=True)
    )


def parse(raw: Mapping[str, object]) -> GraduatedParams:
    fields.reject_unknown(raw, FIELDS)
    return GraduatedParams(parse_tiers(raw))


def price(params: GraduatedParams, usage: Usage) -> PricedAmount:
    quantity = ZERO if usage.quantity is None else usage.quantity
    step = params.steps[bisect_left(params.bounds, quantity)]
    row = step.row
    units = CONTEXT.subtract(quantity, row.from_)
    cost = CONTEXT.multiply(units, row.unit_price)
    parts: list[Part] = [(row.unit_kind, units, cost)]
    total = CONTEXT.add(step.earlier.amount, cost)
    flat_part = step.flat_part
    if flat_part is not None:
        parts.append(flat_part)
        total = CONTEXT.add(total, flat_part[2])
    return PricedAmount(total, parts, quantity, False, step.earlier)
