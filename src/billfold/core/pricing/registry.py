"""The registry of price models: one module per model, each with a parameters dataclass, a
``parse(fields)`` for camelCase API fields and a ``price(params, usage)`` with the same signature.
Adding a model is one module plus one entry here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from billfold.core.money import ONE, ZERO
from billfold.core.pricing import (
    basis_points,
    fixed,
    graduated,
    matrix,
    package,
    percentage,
    tiered_package,
    unit,
    volume,
)
from billfold.core.pricing.errors import PriceValidationError
from billfold.core.pricing.results import PricedAmount
from billfold.core.pricing.usage import Usage

P = TypeVar("P")

PriceParams = (
    unit.UnitParams
    | fixed.FixedParams
    | package.PackageParams
    | graduated.GraduatedParams
    | volume.VolumeParams
    | tiered_package.TieredPackageParams
    | percentage.PercentageParams
    | basis_points.BasisPointsParams
    | matrix.MatrixParams
)


class UsageKind(StrEnum):
    """Which field of :class:`~billfold.core.pricing.usage.Usage` a model reads."""

    QUANTITY = "quantity"
    TRANSACTIONS = "transactions"
    DIMENSIONS = "dimensions"


@dataclass(frozen=True, slots=True)
class PriceModel(Generic[P]):
    """A price model: its name, parameters type, parser and pricing function.

    ``default_quantity`` is the quantity priced when the usage gives none (1 for a fixed fee).
    """

    name: str
    params_type: type[P]
    parse: Callable[[Mapping[str, object]], P]
    price: Callable[[P, Usage], PricedAmount]
    usage_kind: UsageKind
    default_quantity: Decimal = ZERO


_QUANTITY = UsageKind.QUANTITY
_TRANSACTIONS = UsageKind.TRANSACTIONS
_ALL: tuple[PriceModel[Any], ...] = (
    PriceModel(unit.NAME, unit.UnitParams, unit.parse, unit.price, _QUANTITY),
    PriceModel(fixed.NAME, fixed.FixedParams, fixed.parse, fixed.price, _QUANTITY, ONE),
    PriceModel(package.NAME, package.PackageParams, package.parse, package.price, _QUANTITY),
    PriceModel(graduated.NAME, graduated.GraduatedParams, graduated.parse, graduated.price, _QUANTITY),
    PriceModel(volume.NAME, volume.VolumeParams, volume.parse, volume.price, _QUANTITY),
    PriceModel(
        tiered_package.NAME,
        tiered_package.TieredPackageParams,
        tiered_package.parse,
        tiered_package.price,
        _QUANTITY,
    ),
    PriceModel(
        percentage.NAME, percentage.PercentageParams, percentage.parse, percentage.price, _TRANSACTIONS
    ),
    PriceModel(
        basis_points.NAME,
        basis_points.BasisPointsParams,
        basis_points.parse,
        basis_points.price,
        _TRANSACTIONS,
    ),
    PriceModel(matrix.NAME, matrix.MatrixParams, matrix.parse, matrix.price, UsageKind.DIMENSIONS),
)

MODELS: Mapping[str, PriceModel[Any]] = MappingProxyType({model.name: model for model in _ALL})
"""Every price model by name: ``unit``, ``fixed``, ``package``, ``graduated``, ``volume``,
``tiered_package``, ``percentage``, ``basis_points``, ``matrix``."""

_BY_PARAMS_TYPE: Mapping[type, PriceModel[Any]] = {model.params_type: model for model in _ALL}


def model_named(name: str) -> PriceModel[Any]:
    """The model called ``name``; :class:`PriceValidationError` on ``model`` when there is none."""
    model = MODELS.get(name)
    if model is None:
        raise PriceValidationError(
            "model", f"unknown price model {name!r}; expected one of: {', '.join(MODELS)}"
        )
    return model


def model_of(params: object) -> PriceModel[Any]:
    """The model whose parameters ``params`` are."""
    model = _BY_PARAMS_TYPE.get(type(params))
    if model is None:
        raise TypeError(f"{type(params).__name__} is not the parameters of a price model")
    return model


def parse(model: str, fields: Mapping[str, object]) -> PriceParams:
    """Parse a model's parameters from camelCase API fields (decimal strings), e.g.
    ``parse("package", {"packageSize": "100", "packagePrice": "5"})``. Raises
    :class:`PriceValidationError` naming the offending field (``tiers[2].from``)."""
    params: PriceParams = model_named(model).parse(fields)
    return params
