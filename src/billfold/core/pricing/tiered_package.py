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

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from billfold.core.money import CONTEXT, ZERO, to_plain_normalized
from billfold.core.pricing import fields
from billfold.core.pricing.package import PackageRounding, packages, parse_rounding
from billfold.core.pricing.results import (
    MetaValue,
    OrbType,
    Part,
    PricedAmount,
    SubLineKind,
    SubLineType,
    make_kind,
)
from billfold.core.pricing.tiers import check_bounds, parse_bound, parse_tier_list, tier_label
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
class TieredPackageParams:
    """Contiguous half-open tiers (see :mod:`billfold.core.pricing.tiers`) and the package rounding."""

    tiers: tuple[PackageTier, ...]
    rounding: PackageRounding = PackageRounding.UP
    flat_kinds: tuple[SubLineKind, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_bounds([(tier.from_, tier.to) for tier in self.tiers])
        for index, tier in enumerate(self.tiers):
            fields.positive(f"tiers[{index}].packageSize", tier.package_size)
            fields.non_negative(f"tiers[{index}].packagePrice", tier.package_price)
            fields.non_negative(f"tiers[{index}].flatFee", tier.flat_fee)
        kinds = tuple(
            make_kind(
                SubLineType.PRICE_TIER_FLAT,
                f"{tier_label(index, tier.from_, tier.to)} flat fee",
                OrbType.TIER,
                _metadata(index, tier),
            )
            for index, tier in enumerate(self.tiers)
        )
        object.__setattr__(self, "flat_kinds", kinds)


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
    total = ZERO
    parts: list[Part] = []
    for index, tier in enumerate(params.tiers):
        if quantity <= tier.from_ and index:
            break
        top = quantity if tier.to is None or quantity < tier.to else tier.to
        units = CONTEXT.subtract(top, tier.from_)
        count = packages(units, tier.package_size, params.rounding)
        cost = CONTEXT.multiply(count, tier.package_price)
        parts.append((_package_kind(index, tier, count), units, cost))
        total = CONTEXT.add(total, cost)
        if not tier.flat_fee.is_zero():
            parts.append((params.flat_kinds[index], None, tier.flat_fee))
            total = CONTEXT.add(total, tier.flat_fee)
    return PricedAmount(total, parts, quantity)


def _package_kind(index: int, tier: PackageTier, count: Decimal) -> SubLineKind:
    metadata = _metadata(index, tier)
    metadata["packages"] = count
    name = f"{tier_label(index, tier.from_, tier.to)}: {to_plain_normalized(count)} × package of " + (
        to_plain_normalized(tier.package_size)
    )
    return make_kind(SubLineType.PRICE_TIER_PACKAGE, name, OrbType.TIER, metadata)
