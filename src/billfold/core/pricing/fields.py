"""Checks shared by the price models: value checks for the dataclass constructors, and the parsing of
camelCase field mappings (decimal strings) for :func:`billfold.core.pricing.parse`.

Parsing is :func:`billfold.core.money.parse_decimal`, strict: a decimal is a string of digits with an
optional sign and fraction (``"-12.50"``), or an already exact :class:`~decimal.Decimal` or ``int``;
floats, booleans, exponent notation, NaN and infinities are refused. Values keep at most 12 decimal
places and 18 integer digits, which keeps every product and sum exact within
:data:`billfold.core.money.CONTEXT`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal

from billfold.core.money import ZERO, parse_decimal
from billfold.core.pricing.errors import PriceValidationError

_INTEGER_TEXT = re.compile(r"[0-9]+")


# --- value checks (constructors) -----------------------------------------------------------------


def finite(field: str, value: object) -> Decimal:
    """``value`` as a finite Decimal, or :class:`PriceValidationError` naming ``field``."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise PriceValidationError(field, "must be a finite decimal number")
    return value


def non_negative(field: str, value: object) -> Decimal:
    number = finite(field, value)
    if number < ZERO:
        raise PriceValidationError(field, "must not be negative")
    return number


def positive(field: str, value: object) -> Decimal:
    number = finite(field, value)
    if number <= ZERO:
        raise PriceValidationError(field, "must be greater than 0")
    return number


def optional_non_negative(field: str, value: object) -> Decimal | None:
    return None if value is None else non_negative(field, value)


def count(field: str, value: object) -> int:
    """A non-negative ``int`` (booleans refused)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PriceValidationError(field, "must be a non-negative integer")
    return value


# --- parsing (API field mappings) ----------------------------------------------------------------


def to_decimal(field: str, raw: object) -> Decimal:
    """Parse one decimal value exactly (see the module docstring for what is accepted)."""
    try:
        return parse_decimal(raw, numbers=True)
    except ValueError as error:
        raise PriceValidationError(field, str(error)) from None


def to_count(field: str, raw: object) -> int:
    """Parse a non-negative integer given as an ``int`` or a string of digits."""
    if isinstance(raw, bool):
        raise PriceValidationError(field, "must be a non-negative integer")
    if isinstance(raw, str) and _INTEGER_TEXT.fullmatch(raw) is not None:
        return int(raw)
    if isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value() and raw >= 0:
        return int(raw)
    return count(field, raw)


def decimal_field(fields: Mapping[str, object], name: str, prefix: str = "") -> Decimal | None:
    """The decimal at ``name``, or ``None`` when it is absent or null."""
    raw = fields.get(name)
    return None if raw is None else to_decimal(prefix + name, raw)


def required_decimal(fields: Mapping[str, object], name: str, prefix: str = "") -> Decimal:
    value = decimal_field(fields, name, prefix)
    if value is None:
        raise PriceValidationError(prefix + name, "is required")
    return value


def count_field(fields: Mapping[str, object], name: str, prefix: str = "") -> int | None:
    raw = fields.get(name)
    return None if raw is None else to_count(prefix + name, raw)


def text_field(fields: Mapping[str, object], name: str, prefix: str = "") -> str | None:
    raw = fields.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise PriceValidationError(prefix + name, "must be a string")
    return raw


def list_field(fields: Mapping[str, object], name: str, prefix: str = "") -> Sequence[object]:
    """The list at ``name``; required."""
    raw = fields.get(name)
    if raw is None:
        raise PriceValidationError(prefix + name, "is required")
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
        raise PriceValidationError(prefix + name, "must be a list")
    return raw


def as_mapping(field: str, raw: object) -> Mapping[str, object]:
    if not isinstance(raw, Mapping):
        raise PriceValidationError(field, "must be an object")
    return raw


def reject_unknown(fields: Mapping[str, object], allowed: Collection[str], prefix: str = "") -> None:
    """Refuse keys a model does not know, so a misspelt field is an error rather than ignored."""
    for key in fields:
        if key not in allowed:
            expected = ", ".join(sorted(allowed))
            raise PriceValidationError(prefix + str(key), f"unknown field; expected one of: {expected}")
