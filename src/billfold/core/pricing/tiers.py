"""Tiers shared by the graduated, volume and tiered package models.

A tier is half-open, as Orb and Lago define them: it covers the quantities above ``from`` up to and
including ``to`` (``to`` null: no upper bound). The first tier starts at 0, each next tier starts where
the previous one ends, and only the last may be open-ended, so every quantity falls in exactly one tier
(a quantity of 0 falls in the first). A gap, an overlap or a bound out of order is an error naming the
tier, e.g. ``tiers[2].from``.

The last tier may also be bounded, as Orb's ``tiered`` and ``bulk`` configs allow (``maximum_units`` on
the last tier). Its bound is not a cap: usage beyond it is priced at the last tier's rate, so the last
tier is applied as open-ended, and its sub line items read as such (``Tier 3 (above 200)``, ``to``
null in their metadata). The price itself keeps the bound as it was given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from billfold.core.money import ZERO, to_plain_normalized
from billfold.core.pricing import fields, limits
from billfold.core.pricing.errors import PriceValidationError
from billfold.core.pricing.results import MetaValue, OrbType, SubLineKind, SubLineType, make_kind

TIER_FIELDS = frozenset({"from", "to", "unitPrice", "flatFee"})


@dataclass(frozen=True, slots=True)
class Tier:
    """One tier: ``unit_price`` for each unit within it and ``flat_fee`` once it is reached."""

    from_: Decimal
    to: Decimal | None
    unit_price: Decimal = ZERO
    flat_fee: Decimal = ZERO


def check_bounds(bounds: Sequence[tuple[object, object]], field: str = "tiers") -> None:
    """Check that ``(from, to)`` pairs form contiguous half-open tiers starting at 0, in one pass."""
    if not bounds:
        raise PriceValidationError(field, "at least one tier is required")
    limits.within(field, bounds, limits.MAX_TIERS, "tiers")
    last = len(bounds) - 1
    previous_to: Decimal | None = None
    for index, (raw_from, raw_to) in enumerate(bounds):
        path = f"{field}[{index}]"
        start = fields.non_negative(f"{path}.from", raw_from)
        end = None if raw_to is None else fields.finite(f"{path}.to", raw_to)
        if index == 0 and start != ZERO:
            raise PriceValidationError(f"{path}.from", "the first tier must start at 0")
        if previous_to is not None and start != previous_to:
            problem = "gap" if start > previous_to else "overlap"
            raise PriceValidationError(
                f"{path}.from",
                f"tier {index + 1} starts at {_plain(start)} but tier {index} ends at "
                f"{_plain(previous_to)} ({problem}); each tier must start where the previous one ends",
            )
        if end is None and index != last:
            raise PriceValidationError(
                f"{path}.to", f"only the last tier may be open-ended (tier {index + 1})"
            )
        if end is not None and end <= start:
            raise PriceValidationError(
                f"{path}.to", f"tier {index + 1} must end above its start {_plain(start)}"
            )
        previous_to = end


def check_tiers(tiers: Sequence[Tier], field: str = "tiers") -> None:
    """Check the bounds and that prices and fees are not negative."""
    check_bounds([(tier.from_, tier.to) for tier in tiers], field)
    for index, tier in enumerate(tiers):
        fields.non_negative(f"{field}[{index}].unitPrice", tier.unit_price)
        fields.non_negative(f"{field}[{index}].flatFee", tier.flat_fee)


def parse_tier_list(
    raw: Mapping[str, object], field: str = "tiers"
) -> list[tuple[str, Mapping[str, object]]]:
    """The tier objects of ``raw[field]`` with their paths (``tiers[0].``)."""
    items = fields.list_field(raw, field)
    limits.within(field, items, limits.MAX_TIERS, "tiers")
    return [(f"{field}[{i}].", fields.as_mapping(f"{field}[{i}]", item)) for i, item in enumerate(items)]


def parse_bound(item: Mapping[str, object], prefix: str) -> tuple[Decimal, Decimal | None]:
    """A tier's ``from`` (required) and ``to`` (null for open-ended)."""
    return fields.required_decimal(item, "from", prefix), fields.decimal_field(item, "to", prefix)


def parse_tiers(raw: Mapping[str, object]) -> tuple[Tier, ...]:
    """Tiers from ``{"tiers": [{"from", "to", "unitPrice", "flatFee"}, ...]}``."""
    tiers = []
    for prefix, item in parse_tier_list(raw):
        fields.reject_unknown(item, TIER_FIELDS, prefix)
        start, end = parse_bound(item, prefix)
        unit_price = fields.decimal_field(item, "unitPrice", prefix)
        flat_fee = fields.decimal_field(item, "flatFee", prefix)
        tiers.append(Tier(start, end, unit_price or ZERO, flat_fee or ZERO))
    return tuple(tiers)


def _plain(value: Decimal) -> str:
    return to_plain_normalized(value)


def tier_label(index: int, start: Decimal, end: Decimal | None) -> str:
    """``Tier 2 (100 – 200)``; ``Tier 3 (above 200)`` for the open-ended one."""
    span = f"above {_plain(start)}" if end is None else f"{_plain(start)} – {_plain(end)}"
    return f"Tier {index + 1} ({span})"


def tier_metadata(index: int, tier: Tier) -> dict[str, MetaValue]:
    return {
        "tier": index + 1,
        "from": tier.from_,
        "to": tier.to,
        "unitPrice": tier.unit_price,
        "flatFee": tier.flat_fee,
    }


@dataclass(frozen=True, slots=True)
class TierRow:
    """A tier prepared for pricing: bounds, prices and its two sub line kinds, built once per price.
    ``flat_fee`` is ``None`` when the tier has none, so no flat sub line is produced."""

    index: int
    from_: Decimal
    to: Decimal | None
    unit_price: Decimal
    flat_fee: Decimal | None
    unit_kind: SubLineKind
    flat_kind: SubLineKind


class Bounded(Protocol):
    @property
    def to(self) -> Decimal | None: ...


def applied_to(tiers: Sequence[Bounded], index: int) -> Decimal | None:
    """The upper bound tier ``index`` is applied with: its own, but none for the last tier (a bound
    on the last tier is not a cap; see the module docstring)."""
    return None if index == len(tiers) - 1 else tiers[index].to


def tier_rows(tiers: Sequence[Tier]) -> tuple[TierRow, ...]:
    rows = []
    for index, given in enumerate(tiers):
        tier = replace(given, to=applied_to(tiers, index))
        label = tier_label(index, tier.from_, tier.to)
        metadata = tier_metadata(index, tier)
        rows.append(
            TierRow(
                index=index,
                from_=tier.from_,
                to=tier.to,
                unit_price=tier.unit_price,
                flat_fee=None if tier.flat_fee.is_zero() else tier.flat_fee,
                unit_kind=make_kind(SubLineType.PRICE_TIER_UNIT, label, OrbType.TIER, metadata),
                flat_kind=make_kind(SubLineType.PRICE_TIER_FLAT, f"{label} flat fee", OrbType.TIER, metadata),
            )
        )
    return tuple(rows)


def tier_bounds(rows: tuple[TierRow, ...]) -> tuple[Decimal, ...]:
    """The ``to`` of every tier but the open-ended last: ``bisect_left(bounds, quantity)`` is the
    index of the tier ``quantity`` falls in (a tier includes its ``to``; 0 falls in the first)."""
    return tuple(row.to for row in rows if row.to is not None)
