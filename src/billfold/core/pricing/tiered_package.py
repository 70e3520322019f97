"""Tiered package pricing: graduated tiers whose units are billed in packages, as Aira's
``price_tier_package`` sub line items describe (``from``, ``to``, ``packageSize``, ``price``,
``fixedPrice``).

Each tier's slice of the quantity (as in :mod:`~billfold.core.pricing.graduated`) is billed in whole
packages of that tier's ``package_size`` at its ``package_price`` (a partial package rounds as
``rounding`` says, up by default), plus the flat fee of every tier reached (the first tier always is).
Sub lines per tier reached: a ``price_tier_package`` (usage = the units in the tier; packages in the
metadata) and a ``price_tier_flat`` when the tier has a flat fee.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from billfold.core.money import CONTEXT, ZERO, to_plain_normalized
from billfold.core.pricing import fields
from billfold.core.pricing.package import PackageRounding, packages, parse_rounding
from billfold.core.pricing.results import (
    MetaValue,
    OrbType,
    Part,
    PartPrefix,
    PricedAmount,
    SharedParts,
    SubLineType,
    make_kind,
)
from billfold.core.pricing.tiers import applied_to, check_bounds, parse_bound, parse_tier_list, tier_label
from billfold.core.pricing.usage import Usage

NAME = "tiered_package"
FIELDS = frozenset({"tiers", "rounding"})
TIER_FIELDS = frozenset({"from", "to", "packageSize", "packagePrice", "flatFee"})


@dataclass(frozen=True, slots=True)
class PackageTier:
    """A half-open tier billed in packages of ``package_size`` at ``package_price``, plus ``flat_fee``."""

    from_: Decimal
    to: Decimal | None
    package_size: Decimal
    package_price: Decimal
    flat_fee: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class _Step:
    """What pricing a quantity that ends in tier ``index`` needs: the parts of every earlier tier, all
    fully used, as a shared prefix (built once per price, so a line only prices its last tier)."""

    index: int
    tier: PackageTier
    earlier: PartPrefix
    flat_part: Part | None


@dataclass(frozen=True, slots=True)
class TieredPackageParams:
    """Contiguous half-open tiers (see :mod:`billfold.core.pricing.tiers`) and the package rounding."""

    tiers: tuple[PackageTier, ...]
    rounding: PackageRounding = PackageRounding.UP
    bounds: tuple[Decimal, ...] = field(init=False, repr=False, compare=False)
    steps: tuple[_Step, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_bounds([(tier.from_, tier.to) for tier in self.tiers])
        for index, tier in enumerate(self.tiers):
            fields.positive(f"tiers[{index}].packageSize", tier.package_size)
            fields.non_negative(f"tiers[{index}].packagePrice", tier.package_price)
            fields.non_negative(f"tiers[{index}].flatFee", tier.flat_fee)
        # The last tier is applied open-ended, whatever its bound (see billfold.core.pricing.tiers).
        applied = tuple(replace(tier, to=applied_to(self.tiers, i)) for i, tier in enumerate(self.tiers))
        object.__setattr__(self, "bounds", tuple(tier.to for tier in applied if tier.to is not None))
        object.__setattr__(self, "steps", _steps(applied, self.rounding))


def _steps(tiers: tuple[PackageTier, ...], rounding: PackageRounding) -> tuple[_Step, ...]:
    """One step per tier, in time linear in the tiers: the steps share one list of full-tier parts."""
    parts: list[Part] = []
    steps = []
    for index, tier in enumerate(tiers):
        flat_part: Part | None = None
        if not tier.flat_fee.is_zero():
            label = f"{tier_label(index, tier.from_, tier.to)} flat fee"
            flat_kind = make_kind(SubLineType.PRICE_TIER_FLAT, label, OrbType.TIER, _metadata(index, tier))
            flat_part = (flat_kind, None, tier.flat_fee)
        steps.append((index, tier, len(parts), flat_part))
        if tier.to is not None:  # every tier but the last is used in full by the later steps
            parts.append(_package_part(index, tier, CONTEXT.subtract(tier.to, tier.from_), rounding))
            if flat_part is not None:
                parts.append(flat_part)
    shared = SharedParts(parts)
    return tuple(_Step(index, tier, shared.prefix(start), flat) for index, tier, start, flat in steps)


def _metadata(index: int, tier: PackageTier) -> dict[str, MetaValue]:
    return {
        "tier": index + 1,
        "from": tier.from_,
        "to": tier.to,
        "packageSize": tier.package_size,
        "packagePrice": tier.package_price,
        "flatFee": tier.flat_fee,
    }


def parse(raw: Mapping[str, object]) -> TieredPackageParams:
    fields.reject_unknown(raw, FIELDS)
    tiers = []
    for prefix, item in parse_tier_list(raw):
        fields.reject_unknown(item, TIER_FIELDS, prefix)
        start, end = parse_bound(item, prefix)
        size = fields.required_decimal(item, "packageSize", prefix)
        package_price = fields.required_decimal(item, "packagePrice", prefix)
        flat_fee = fields.decimal_field(item, "flatFee", prefix) or ZERO
        tiers.append(PackageTier(start, end, size, package_price, flat_fee))
    return TieredPackageParams(tuple(tiers), parse_rounding(fields.text_field(raw, "rounding")))


def price(params: TieredPackageParams, usage: Usage) -> PricedAmount:
    quantity = ZERO if usage.quantity is None else usage.quantity
    step = params.steps[bisect_left(params.bounds, quantity)]
    tier = step.tier
    part = _package_part(step.index, tier, CONTEXT.subtract(quantity, tier.from_), params.rounding)
    parts: list[Part] = [part]
    total = CONTEXT.add(step.earlier.amount, part[2])
    if step.flat_part is not None:
        parts.append(step.flat_part)
        total = CONTEXT.add(total, step.flat_part[2])
    return PricedAmount(total, parts, quantity, False, step.earlier)


def _package_part(index: int, tier: PackageTier, units: Decimal, rounding: PackageRounding) -> Part:
    """The packages ``units`` of tier ``index`` make, at its package price."""
    count = packages(units, tier.package_size, rounding)
    metadata = _metadata(index, tier)
    metadata["packages"] = count
    name = f"{tier_label(index, tier.from_, tier.to)}: {to_plain_normalized(count)} × package of " + (
        to_plain_normalized(tier.package_size)
    )
    kind = make_kind(SubLineType.PRICE_TIER_PACKAGE, name, OrbType.TIER, metadata)
    return kind, units, CONTEXT.multiply(count, tier.package_price)
