"""Currency lookup from the ISO 4217 table (the ``iso4217`` package), not from CLDR.

CLDR (and so Babel) gives display digits that differ from ISO 4217's minor units for a dozen currencies;
invoices must use the legal minor unit.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from iso4217 import Currency as Iso4217

from billfold.core.money import Currency, fits
from billfold.services.errors import ValidationFailed


@lru_cache(maxsize=512)
def _lookup(code: str) -> Currency | None:
    member = Iso4217.__members__.get(code)
    if member is None or member.exponent is None:
        return None
    return Currency(code=code, exponent=int(member.exponent))


def currency(code: str, field: str = "currency") -> Currency:
    """The currency for an upper-case ISO 4217 code; unknown, lower-case or unit-less codes are a 400."""
    if not code.isascii() or not code.isupper() or len(code) != 3:
        raise ValidationFailed.field(field, "must be an upper-case ISO 4217 currency code, e.g. USD")
    found = _lookup(code)
    if found is None:
        raise ValidationFailed.field(field, f"unknown ISO 4217 currency code {code!r}")
    return found


def check_fits(value: Decimal, money: Currency, field: str = "amount") -> None:
    """A 400 naming ``field`` unless ``value`` is a whole number of ``money``'s minor units."""
    if not fits(value, money.exponent):
        raise ValidationFailed.field(
            field, f"has more decimal places than {money.code} allows ({money.exponent})"
        )
