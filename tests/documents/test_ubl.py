"""UBL 2.1 output passes the official EN 16931 schema and rules, with every amount from the model."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from factories import (
    big_invoice,
    credit_note,
    full_invoice,
    sample_documents,
)
from lxml import etree

from billfold.documents.model import Document
from billfold.documents.ubl import CBC, CREDIT_NOTE_NS, render_ubl

DOCUMENTS: dict[str, Callable[[], Document]] = sample_documents("fr")


@pytest.mark.parametrize("name", DOCUMENTS)
def test_passes_the_official_rules(name: str, assert_valid: Callable[[bytes], None]) -> None:
    assert_valid(render_ubl(DOCUMENTS[name]()))


def test_thousand_lines_pass(assert_valid: Callable[[bytes], None]) -> None:
    xml = render_ubl(big_invoice())
    assert xml.count(b"<cac:InvoiceLine>") == 1000
    assert_valid(xml)


def _text(xml: bytes, local: str) -> list[str]:
    return [e.text or "" for e in etree.fromstring(xml).iter(f"{{{CBC}}}{local}")]


def test_amounts_are_the_models() -> None:
    doc = full_invoice()
    xml = render_ubl(doc)
    t = doc.totals
    assert _text(xml, "PayableAmount") == [str(t.amount_due)]
    assert _text(xml, "PrepaidAmount") == ["20.00"]
    assert _text(xml, "TaxInclusiveAmount") == [str(t.tax_inclusive)]
    assert _text(xml, "TaxAmount")[0] == str(t.tax)
    assert "-1" in _text(xml, "InvoicedQuantity")  # the credit line
    assert all(not p.startswith("-") for p in _text(xml, "PriceAmount"))


def test_credit_note_is_a_credit_note() -> None:
    root = etree.fromstring(render_ubl(credit_note()))
    assert root.tag == f"{{{CREDIT_NOTE_NS}}}CreditNote"
    assert root.findtext(f"{{{CBC}}}CreditNoteTypeCode") == "381"
