"""The pricing core: one module per price model with the same signature, a registry naming them,
and :func:`price_line`, which applies free units, the model, the minimum, one rounding and the split
of the rounded amount over sub line items.

Pure: standard library and :mod:`billfold.core.money` only; no I/O, no floats.

Typical use by the API layer::

    price = parse_price("graduated", {"tiers": [...], "minimumAmount": "10"})
    result = price_line(price, Usage(quantity=Decimal("125")), exponent=2, mode=RoundingMode.HALF_UP)
    result.amount, [(s.type, s.name, s.usage, s.amount, s.metadata) for s in result.sub_lines]
"""

from billfold.core.pricing.basis_points import BasisPointsParams
from billfold.core.pricing.errors import PriceValidationError, UsageError
from billfold.core.pricing.fixed import FixedParams
from billfold.core.pricing.graduated import GraduatedParams
from billfold.core.pricing.line import BillingModel, Evaluated, Price, evaluate, parse_price, price_line
from billfold.core.pricing.matrix import MatrixCell, MatrixParams
from billfold.core.pricing.package import PackageParams, PackageRounding
from billfold.core.pricing.percentage import PercentageParams
from billfold.core.pricing.proration import BillingInterval, IntervalUnit
from billfold.core.pricing.registry import MODELS, PriceModel, PriceParams, UsageKind, model_named, parse
from billfold.core.pricing.results import (
    LineResult,
    MetaValue,
    OrbType,
    PricedAmount,
    SubLine,
    SubLineKind,
    SubLineType,
)
from billfold.core.pricing.tiered_package import PackageTier, TieredPackageParams
from billfold.core.pricing.tiers import Tier
from billfold.core.pricing.unit import UnitParams
from billfold.core.pricing.usage import DimensionUsage, SeatInterval, ServicePeriod, Usage
from billfold.core.pricing.volume import VolumeParams

__all__ = [
    "MODELS",
    "BasisPointsParams",
    "BillingInterval",
    "BillingModel",
    "DimensionUsage",
    "Evaluated",
    "FixedParams",
    "GraduatedParams",
    "IntervalUnit",
    "LineResult",
    "MatrixCell",
    "MatrixParams",
    "MetaValue",
    "OrbType",
    "PackageParams",
    "PackageRounding",
    "PackageTier",
    "PercentageParams",
    "Price",
    "PriceModel",
    "PriceParams",
    "PriceValidationError",
    "PricedAmount",
    "SeatInterval",
    "ServicePeriod",
    "SubLine",
    "SubLineKind",
    "SubLineType",
    "Tier",
    "TieredPackageParams",
    "UnitParams",
    "Usage",
    "UsageError",
    "UsageKind",
    "VolumeParams",
    "evaluate",
    "model_named",
    "parse",
    "parse_price",
    "price_line",
]
