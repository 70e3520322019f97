"""Checks shared by the price models: value checks for the dataclass constructors, and the parsing of
camelCase field mappings (decimal strings) for :func:`billfold.core.pricing.parse`.

Parsing is strict: a decimal is a string of digits with an optional sign and fraction (``"-12.50"``),
or an already exact :class:`~decimal.Decimal` or ``int``; floats, booleans, exponent notation, NaN and
infinities are refused. Values keep at most 12 decimal places and 18 integer digits, which keeps every
product and sum exact within :data:`billfold.core.money.CONTEXT`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal

from billfold.core.money import ZERO
from billfold.core.pricing.errors import PriceValidationError
from billfold.core.pricing.limits import MAX_DECIMAL_TEXT

MAX_DECIMAL_PLACES = 12
MAX_INTEGER_DIGITS = 18

_DECIMAL_TEXT = re.compile(r"-?([0-9]+)(?:\.([0-9]+))?")
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
    if isinstance(raw, str):  # the common case, checked on the text: no Decimal inspection needed
        if len(raw) > MAX_DECIMAL_TEXT:
            raise PriceValidationError(
                field, f"must be a decimal string of at most {MAX_DECIMAL_TEXT} characters"
            )
        match = _DECIMAL_TEXT.fullmatch(raw)
        if match is None:
            raise PriceValidationError(field, f'{raw!r} is not a decimal string such as "12.50"')
        integer, fraction = match.group(1, 2)
        if len(integer) > MAX_INTEGER_DIGITS or (fraction is not None and len(fraction) > MAX_DECIMAL_PLACES):
            _check_size(field, Decimal(raw))  # leading or trailing zeros may make it fit
        return Decimal(raw)
    if isinstance(raw, bool) or not isinstance(raw, (str, Decimal, int)):
        raise PriceValidationError(field, 'must be a decimal string such as "12.50"')
    value = Decimal(raw)
    if not value.is_finite():
        raise PriceValidationError(field, "must be a finite decimal number")
    _check_size(field, value)
    return value


def _check_size(field: str, value: Decimal) -> None:
    if value.is_zero():
        return
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite values have an int exponent
    digits = value.as_tuple().digits
    # Trailing zeros beyond the 12th place ("1.5000000000000") do not count as precision.
    significant_places = -exponent - _trailing_zeros(digits) if exponent < 0 else 0
    if significant_places > MAX_DECIMAL_PLACES:
        raise PriceValidationError(field, f"must have at most {MAX_DECIMAL_PLACES} decimal places")
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        raise PriceValidationError(field, f"must have at most {MAX_INTEGER_DIGITS} integer digits")


def _trailing_zeros(digits: tuple[int, ...]) -> int:
    zeros = 0
    for digit in reversed(digits):
        if digit != 0:
            break
        zeros += 1
    return zeros


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
