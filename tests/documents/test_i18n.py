"""Every word of every document comes from the catalogues, translated in every shipped language; numbers,
dates and money are formatted by Babel for the locale with the currency's ISO minor unit."""

from __future__ import annotations

import gettext
from datetime import date
from decimal import Decimal
from importlib import resources

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from factories import EUR, JPY

from billfold.documents.i18n import Formatter, translations

PACKAGE = resources.files("billfold.documents")
TRANSLATED = ["de", "fr", "es", "pt_BR"]


def source_messages() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = extract_from_dir(str(PACKAGE), method_map, keywords={"_": None, "gettext": None})
    return {message for _file, _line, message, _comments, _context in found if isinstance(message, str)}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_and_compiled(lang: str) -> None:
    folder = PACKAGE.joinpath("locales", lang, "LC_MESSAGES")
    with folder.joinpath("billfold.po").open("rb") as po:
        catalog = read_po(po)
    messages = source_messages()
    assert len(messages) > 50
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    assert messages - set(translated) == set()
    with folder.joinpath("billfold.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    assert {key: compiled.gettext(key) for key in translated} == translated  # the .mo is the .po compiled


def test_regional_tags_and_unknown_locales_fall_back() -> None:
    assert translations("de-AT").gettext("Invoice") == "Rechnung"
    assert translations("pt").gettext("Invoice") == "Fatura"
    assert translations("xx-YY").gettext("Invoice") == "Invoice"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("de", "1.234,56\xa0€"), ("en", "€1,234.56"), ("es", "1.234,56\xa0€"), ("pt-BR", "€\xa01.234,56")],
)
def test_money_for_the_locale(tag: str, expected: str) -> None:
    assert Formatter.for_document(tag, EUR).money(Decimal("1234.56")) == expected


def test_money_uses_iso_minor_units() -> None:
    assert Formatter.for_document("en", JPY).money(Decimal(4950)) == "¥4,950"
    assert Formatter.for_document("de", EUR).unit_price(Decimal("0.0025")) == "0,0025\xa0€"


def test_dates_and_percentages() -> None:
    fmt = Formatter.for_document("de", EUR)
    assert fmt.date(date(2026, 12, 1)) == "01.12.2026"
    assert fmt.percent(Decimal("5.5")) == "5,5\xa0%"


def test_dates_carry_no_direction_marks() -> None:
    """Babel's Arabic date has right-to-left marks around its slashes; in a left-to-right cell they
    reorder it (``042026/12/``): documents show the digits in order."""
    assert Formatter.for_document("ar", EUR).date(date(2026, 12, 4)) == "04/12/2026"
