"""Package pricing: the quantity is billed in whole packages of ``package_size`` units at
``package_price`` each, as Orb's ``package`` price, Lago's package charge and Stripe's
``transform_quantity``.

A partial package rounds up by default (Orb, Lago, Sequence), or down or to the nearest package (half
up) as Stripe's ``transform_quantity.round`` allows. Free units come off before the rounding (Lago), and
zero usage is zero packages. One ``price_tier_package`` sub line (usage = the quantity billed; the
package count is in its metadata).

Worked examples: Lago ("Package" charge model) charges 5 per 100 units with the first 100 free, so 201
units cost 0 + 5 + 5 = 10; Sequence ("Usage-based pricing") bills 600 units at 10 per 250 as 3
packages, 30.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from billfold.core.money import CONTEXT, ONE, ZERO, to_plain_normalized
from billfold.core.pricing import fields
from billfold.core.pricing.errors import PriceValidationError
from billfold.core.pricing.results import OrbType, PricedAmount, SubLineType, make_kind
from billfold.core.pricing.usage import Usage

NAME = "package"
FIELDS = frozenset({"packageSize", "packagePrice", "rounding"})


class PackageRounding(StrEnum):
    """How a partial package counts: ``up`` (a whole package), ``down`` (not at all), ``nearest``."""

    UP = "up"
    DOWN = "down"
    NEAREST = "nearest"


_TWO = Decimal(2)


@dataclass(frozen=True, slots=True)
class PackageParams:
    """``package_price`` per package of ``package_size`` units; ``rounding`` of partial packages."""

    package_size: Decimal
    package_price: Decimal
    rounding: PackageRounding = PackageRounding.UP

    def __post_init__(self) -> None:
        fields.positive("packageSize", self.package_size)
        fields.non_negative("packagePrice", self.package_price)
        if not isinstance(self.rounding, PackageRounding):
            raise PriceValidationError("rounding", "must be one of: up, down, nearest")


def parse(raw: Mapping[str, object]) -> PackageParams:
    fields.reject_unknown(raw, FIELDS)
    return PackageParams(
        fields.required_decimal(raw, "packageSize"),
        fields.required_decimal(raw, "packagePrice"),
        parse_rounding(fields.text_field(raw, "rounding")),
    )


def parse_rounding(text: str | None) -> PackageRounding:
    if text is None:
        return PackageRounding.UP
    try:
        return PackageRounding(text)
    except ValueError:
        raise PriceValidationError("rounding", "must be one of: up, down, nearest") from None


def packages(quantity: Decimal, size: Decimal, rounding: PackageRounding) -> Decimal:
    """The number of packages ``quantity`` units make, rounded as ``rounding`` says (exactly: by
    integer division and remainder, never through a rounded quotient)."""
    whole = CONTEXT.divide_int(quantity, size)
    rest = CONTEXT.remainder(quantity, size)
    if rest.is_zero() or rounding is PackageRounding.DOWN:
        return whole
    if rounding is PackageRounding.NEAREST and CONTEXT.multiply(rest, _TWO) < size:
        return whole
    return CONTEXT.add(whole, ONE)


def price(params: PackageParams, usage: Usage) -> PricedAmount:
    quantity = ZERO if usage.quantity is None else usage.quantity
    count = packages(quantity, params.package_size, params.rounding)
    amount = CONTEXT.multiply(count, params.package_price)
    size = to_plain_normalized(params.package_size)
    kind = make_kind(
        SubLineType.PRICE_TIER_PACKAGE,
        f"{to_plain_normalized(count)} × package of {size}",
        OrbType.OTHER,
        {
            "from": ZERO,
            "to": None,
            "packageSize": params.package_size,
            "packagePrice": params.package_price,
            "packages": count,
            "rounding": params.rounding.value,
        },
    )
    return PricedAmount(amount, [(kind, quantity, amount)], quantity)
