"""A credit note's reason and settlement are worded in the document's language, its money in the
locale's format; every shipped language has them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from factories import EUR

from billfold.documents.credit_note_text import reason_note, settlement_terms
from billfold.documents.i18n import Formatter

D = Decimal


def _terms(tag: str) -> str | None:
    return settlement_terms(
        Formatter.for_document(tag, EUR),
        refund=D("300.00"),
        credit=D("0.00"),
        out_of_band=D("0"),
        reduction=D("382.50"),
        invoice_number="INV-2026-000001",
    )


def test_english() -> None:
    fmt = Formatter.for_document("en", EUR)
    assert reason_note("product_unsatisfactory", fmt) == "Reason: product unsatisfactory"
    assert _terms("en") == "€300.00 refunded; €382.50 taken off the amount due of invoice INV-2026-000001"


def test_german() -> None:
    fmt = Formatter.for_document("de", EUR)
    assert reason_note("product_unsatisfactory", fmt) == "Grund: Produkt nicht zufriedenstellend"
    assert reason_note("other", fmt) == "Grund: Sonstiges"
    assert _terms("de") == (
        "300,00\xa0€ erstattet; 382,50\xa0€ vom fälligen Betrag der Rechnung INV-2026-000001 abgezogen"
    )


@pytest.mark.parametrize("tag", ["de", "fr", "es", "pt-BR"])
def test_every_language_translates_every_reason_and_settlement(tag: str) -> None:
    fmt = Formatter.for_document(tag, EUR)
    english = Formatter.for_document("en", EUR)
    for reason in ("duplicate", "fraudulent", "order_change", "product_unsatisfactory", "other"):
        assert reason_note(reason, fmt) != reason_note(reason, english)
    every = {"refund": D(1), "credit": D(2), "out_of_band": D(3), "reduction": D(4)}
    words = settlement_terms(fmt, invoice_number="INV-1", **every)
    assert words is not None
    assert words.count("; ") == 3
    for english_word in ("refunded", "credited", "outside", "taken off"):
        assert english_word not in words


def test_nothing_settled_is_no_terms() -> None:
    fmt = Formatter.for_document("en", EUR)
    zero = D("0.00")
    assert (
        settlement_terms(fmt, refund=zero, credit=zero, out_of_band=zero, reduction=zero, invoice_number="I")
        is None
    )
