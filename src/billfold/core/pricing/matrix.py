"""Matrix pricing: the unit price is looked up by the usage's dimension values, as Orb's ``matrix``
price (``dimensions``, ``matrix_values`` of ``dimension_values`` and ``unit_amount``, and
``default_unit_amount`` for combinations without a cell).

Usage comes per combination of dimension values (in the order of ``dimensions``); entries for the same
combination are added together, in the order they first appear. Each combination gives one
``unit_price`` sub line (Orb kind ``matrix``; usage = its quantity; its values and unit price in the
metadata). A combination with neither a cell nor a ``default_unit_price`` is a usage error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from billfold.core.money import CONTEXT, ZERO, to_plain_normalized
from billfold.core.pricing import fields, limits
from billfold.core.pricing.errors import PriceValidationError, UsageError
from billfold.core.pricing.results import OrbType, Part, PricedAmount, SubLineKind, SubLineType, make_kind
from billfold.core.pricing.usage import Usage

NAME = "matrix"
FIELDS = frozenset({"dimensions", "cells", "defaultUnitPrice"})
CELL_FIELDS = frozenset({"values", "unitPrice"})


@dataclass(frozen=True, slots=True)
class MatrixCell:
    """The unit price of one combination of dimension values (in the order of the dimensions)."""

    values: tuple[str, ...]
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class MatrixParams:
    """``dimensions`` (names), the priced ``cells``, and the unit price of any other combination."""

    dimensions: tuple[str, ...]
    cells: tuple[MatrixCell, ...]
    default_unit_price: Decimal | None = None
    lookup: Mapping[tuple[str, ...], tuple[Decimal, SubLineKind]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        _check_dimensions(self.dimensions)
        limits.within("cells", self.cells, limits.MAX_MATRIX_CELLS, "cells")
        fields.optional_non_negative("defaultUnitPrice", self.default_unit_price)
        lookup: dict[tuple[str, ...], tuple[Decimal, SubLineKind]] = {}
        first_index: dict[tuple[str, ...], int] = {}
        for index, cell in enumerate(self.cells):
            path = f"cells[{index}]"
            _check_values(f"{path}.values", cell.values, self.dimensions, PriceValidationError)
            if cell.values in first_index:
                raise PriceValidationError(
                    f"{path}.values", f"duplicates cells[{first_index[cell.values]}] {list(cell.values)}"
                )
            fields.non_negative(f"{path}.unitPrice", cell.unit_price)
            first_index[cell.values] = index
            lookup[cell.values] = (cell.unit_price, cell_kind(self.dimensions, cell.values, cell.unit_price))
        object.__setattr__(self, "lookup", lookup)


def _check_dimensions(dimensions: tuple[str, ...]) -> None:
    if not dimensions:
        raise PriceValidationError("dimensions", "at least one dimension is required")
    limits.within("dimensions", dimensions, limits.MAX_MATRIX_DIMENSIONS, "dimensions")
    seen: set[str] = set()
    for index, name in enumerate(dimensions):
        if not isinstance(name, str) or not name:
            raise PriceValidationError(f"dimensions[{index}]", "must be a non-empty string")
        if name in seen:
            raise PriceValidationError(f"dimensions[{index}]", f"dimension {name!r} is listed twice")
        seen.add(name)


def _check_values(
    path: str, values: object, dimensions: tuple[str, ...], error: type[PriceValidationError]
) -> None:
    if not isinstance(values, tuple) or not all(isinstance(value, str) for value in values):
        raise error(path, "must be a list of strings")
    if len(values) != len(dimensions):
        raise error(path, f"expected {len(dimensions)} values ({', '.join(dimensions)}), got {len(values)}")


def cell_kind(dimensions: tuple[str, ...], values: tuple[str, ...], unit_price: Decimal) -> SubLineKind:
    name = ", ".join(f"{dimension}: {value}" for dimension, value in zip(dimensions, values, strict=True))
    return make_kind(
        SubLineType.UNIT_PRICE,
        f"{name} ({to_plain_normalized(unit_price)} per unit)",
        OrbType.MATRIX,
        {"dimensions": dimensions, "values": values, "unitPrice": unit_price},
    )


def parse(raw: Mapping[str, object]) -> MatrixParams:
    fields.reject_unknown(raw, FIELDS)
    dimensions = _strings("dimensions", fields.list_field(raw, "dimensions"))
    limits.within("dimensions", dimensions, limits.MAX_MATRIX_DIMENSIONS, "dimensions")
    raw_cells = fields.list_field(raw, "cells")
    limits.within("cells", raw_cells, limits.MAX_MATRIX_CELLS, "cells")
    cells = []
    for index, item in enumerate(raw_cells):
        prefix = f"cells[{index}]."
        cell = fields.as_mapping(f"cells[{index}]", item)
        fields.reject_unknown(cell, CELL_FIELDS, prefix)
        values = _strings(f"{prefix}values", fields.list_field(cell, "values", prefix))
        cells.append(MatrixCell(values, fields.required_decimal(cell, "unitPrice", prefix)))
    return MatrixParams(dimensions, tuple(cells), fields.decimal_field(raw, "defaultUnitPrice"))


def _strings(path: str, items: Sequence[object]) -> tuple[str, ...]:
    strings = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise PriceValidationError(f"{path}[{index}]", "must be a string")
        strings.append(item)
    return tuple(strings)


def price(params: MatrixParams, usage: Usage) -> PricedAmount:
    add = CONTEXT.add
    combinations: dict[tuple[str, ...], list[Any]] = {}  # values -> [first usage index, quantity]
    for index, entry in enumerate(usage.dimensions):
        seen = combinations.get(entry.values)
        if seen is None:
            combinations[entry.values] = [index, entry.quantity]
        else:
            seen[1] = add(seen[1], entry.quantity)
    lookup = params.lookup
    total = ZERO
    volume = ZERO
    parts: list[Part] = []
    for values, (index, quantity) in combinations.items():
        unit_price, kind = lookup.get(values) or _cell(params, values, index)
        cost = CONTEXT.multiply(quantity, unit_price)
        parts.append((kind, quantity, cost))
        total = add(total, cost)
        volume = add(volume, quantity)
    return PricedAmount(total, parts, volume)


def _cell(params: MatrixParams, values: tuple[str, ...], index: int) -> tuple[Decimal, SubLineKind]:
    """The unit price and sub line kind of a combination without a cell: the default's."""
    path = f"usage[{index}].values"
    _check_values(path, values, params.dimensions, UsageError)
    if params.default_unit_price is None:
        raise UsageError(path, f"no cell for {list(values)} and no defaultUnitPrice")
    return params.default_unit_price, cell_kind(params.dimensions, values, params.default_unit_price)
