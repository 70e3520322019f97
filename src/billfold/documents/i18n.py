"""Language for documents: gettext catalogues for words, Babel for numbers, dates and currencies.

The catalogues live beside this module (``locales/<lang>/LC_MESSAGES/billfold.mo``, compiled from the
``.po`` files and committed) and are read through :mod:`importlib.resources`, so they work from a wheel.
A locale is a BCP 47 tag (``"de"``, ``"pt-BR"``); a tag without a catalogue falls back to its language's,
then to English (the source strings). Currency amounts show the ISO 4217 minor unit of the currency
(never CLDR's digits, which differ for a dozen currencies).
"""

from __future__ import annotations

import copy
import gettext
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from billfold.core.money import Currency, divide

HUNDRED = Decimal(100)
# left-to-right, right-to-left and Arabic letter marks
_DIRECTION_MARKS = dict.fromkeys((0x200E, 0x200F, 0x061C))

DOMAIN = "billfold"
LANGUAGES = ("en", "de", "fr", "es", "pt_BR")
DEFAULT_LOCALE = "en"


@lru_cache(maxsize=64)
def babel_locale(tag: str) -> Locale:
    """The Babel locale of a BCP 47 tag (``pt-BR`` or ``pt_BR``); English when the tag is unknown."""
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LOCALE)


@lru_cache(maxsize=64)
def translations(tag: str) -> gettext.NullTranslations:
    """The message catalogue for ``tag``: its own, else its language's, else the English source."""
    locale = babel_locale(tag)
    candidates = [str(locale), locale.language]
    candidates += [name for name in LANGUAGES if name.split("_")[0] == locale.language]
    folder = resources.files("billfold.documents").joinpath("locales")
    for name in candidates:
        mo = folder.joinpath(name, "LC_MESSAGES", f"{DOMAIN}.mo")
        if mo.is_file():
            return gettext.GNUTranslations(io.BytesIO(mo.read_bytes()))
    return gettext.NullTranslations()


@dataclass(frozen=True, slots=True)
class Formatter:
    """Formats a document's words and figures for one locale and currency."""

    locale: Locale
    currency: Currency
    catalogue: gettext.NullTranslations

    @classmethod
    def for_document(cls, tag: str, currency: Currency) -> Formatter:
        return cls(babel_locale(tag), currency, translations(tag))

    @property
    def language(self) -> str:
        """The BCP 47 language tag, for ``<html lang>``."""
        return str(self.locale).replace("_", "-")

    def gettext(self, message: str) -> str:
        return str(self.catalogue.gettext(message))

    def money(self, amount: Decimal) -> str:
        """``1.234,56 €`` (de), ``€1,234.56`` (en), with the currency's ISO minor unit."""
        pattern = copy.copy(self.locale.currency_formats["standard"])
        exponent = self.currency.exponent
        pattern.frac_prec = (exponent, exponent)
        return str(pattern.apply(amount, self.locale, currency=self.currency.code, currency_digits=False))

    def number(self, value: Decimal) -> str:
        """A quantity or unit price with all its digits and none added (``10.000,0025``)."""
        return format_decimal(value, locale=self.locale, decimal_quantization=False)

    def unit_price(self, value: Decimal) -> str:
        """A unit price: the currency's minor unit at least, every further digit it has."""
        exponent = max(self.currency.exponent, -int(value.normalize().as_tuple().exponent))
        pattern = copy.copy(self.locale.currency_formats["standard"])
        pattern.frac_prec = (self.currency.exponent, exponent)
        return str(pattern.apply(value, self.locale, currency=self.currency.code, currency_digits=False))

    def percent(self, rate: Decimal) -> str:
        """A rate in percent (``Decimal("19")`` → ``19 %`` in de, ``19%`` in en)."""
        return format_percent(divide(rate, HUNDRED), locale=self.locale, decimal_quantization=False)

    def date(self, value: date | None) -> str:
        """The medium date, without the direction marks some locales put in it (Arabic's
        ``04\u200f/12\u200f/2026``): in a left-to-right document they scramble the date's order."""
        if value is None:
            return ""
        return format_date(value, "medium", locale=self.locale).translate(_DIRECTION_MARKS)
