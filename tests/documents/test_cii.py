"""CII D16B output passes the official EN 16931 schema and rules, with every amount from the model."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from factories import (
    big_invoice,
    credit_note,
    full_invoice,
    jpy_invoice,
    sample_documents,
)
from lxml import etree

from billfold.documents.cii import RAM, render_cii
from billfold.documents.model import Document

DOCUMENTS: dict[str, Callable[[], Document]] = sample_documents("de")


@pytest.mark.parametrize("name", DOCUMENTS)
def test_passes_the_official_rules(name: str, assert_valid: Callable[[bytes], None]) -> None:
    assert_valid(render_cii(DOCUMENTS[name]()))


def test_thousand_lines_pass(assert_valid: Callable[[bytes], None]) -> None:
    xml = render_cii(big_invoice())
    assert xml.count(b"<ram:IncludedSupplyChainTradeLineItem>") == 1000
    assert_valid(xml)


def _text(xml: bytes, local: str) -> list[str]:
    return [e.text or "" for e in etree.fromstring(xml).iter(f"{{{RAM}}}{local}")]


def test_amounts_are_the_models() -> None:
    doc = full_invoice()
    xml = render_cii(doc)
    t = doc.totals
    assert _text(xml, "DuePayableAmount") == [str(t.amount_due)]
    assert _text(xml, "TotalPrepaidAmount") == ["20.00"]
    assert _text(xml, "GrandTotalAmount") == [str(t.tax_inclusive)]
    assert _text(xml, "TaxTotalAmount") == [str(t.tax)]
    assert _text(xml, "CalculatedAmount") == [str(row.tax_amount) for row in doc.tax_summary]
    assert "Reverse charge" in _text(xml, "ExemptionReason")
    assert _text(xml, "LineTotalAmount")[-1] == str(t.line_total)


def test_jpy_has_no_decimals() -> None:
    xml = render_cii(jpy_invoice())
    assert _text(xml, "DuePayableAmount") == ["4950"]
    assert Decimal(_text(xml, "TaxTotalAmount")[0]) == 450


def test_credit_note_refers_to_its_invoice() -> None:
    xml = render_cii(credit_note())
    assert _text(xml, "TypeCode")[0] == "381"
    assert "INV-2026-000042" in _text(xml, "IssuerAssignedID")
