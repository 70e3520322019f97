"""The hosted page: the number, status, amounts, payments so far and download links, in the customer's
language, self-contained (no external assets) and escaped."""

from __future__ import annotations

import re
from dataclasses import replace

from factories import buyer, draft_invoice, full_invoice, small_invoice

from billfold.documents.html import HostedLinks, render_hosted_page

LINKS = HostedLinks(
    pdf="https://billing.example/i/tok/pdf",
    ubl="https://billing.example/i/tok/ubl",
    cii="https://billing.example/i/tok/cii",
)


def test_shows_number_status_amounts_payments_and_links() -> None:
    page = render_hosted_page(full_invoice(), None, LINKS)
    assert '<html lang="en">' in page
    assert "INV-2026-000042" in page
    assert "Open" in page
    assert "€1,086.39" in page  # amount due as issued
    assert "€100.00" in page
    assert "pay_0" in page
    assert "€986.39" in page  # amount remaining
    for url in (LINKS.pdf, LINKS.ubl, LINKS.cii):
        assert f'href="{url}"' in page


def test_is_self_contained() -> None:
    page = render_hosted_page(full_invoice(), None, LINKS)
    assert "<script" not in page
    assert "<link" not in page
    assert re.findall(r'(?:src|href)="([^"]+)"', page) == [LINKS.pdf, LINKS.ubl, LINKS.cii]
    assert "@import" not in page
    assert "url(" not in page


def test_in_the_customers_language() -> None:
    page = render_hosted_page(full_invoice("de"), None, LINKS)
    assert '<html lang="de">' in page
    assert "Rechnung" in page
    assert "Offener Betrag" in page
    assert "986,39\xa0€" in page
    page = render_hosted_page(full_invoice("de"), "pt-BR", LINKS)
    assert '<html lang="pt-BR">' in page
    assert "Fatura" in page


def test_overdue_and_paid_statuses() -> None:
    doc = full_invoice()
    assert "Overdue" in render_hosted_page(replace(doc, status="overdue"), None, LINKS)
    paid = replace(doc, status="paid", totals=replace(doc.totals, paid=doc.totals.amount_due))
    page = render_hosted_page(paid, None, LINKS)
    assert "status-paid" in page
    assert "Payment instructions" not in page


def test_draft_page_has_no_number_nor_payments() -> None:
    page = render_hosted_page(draft_invoice(), None, HostedLinks(pdf="/pdf"))
    assert "Draft invoice" in page
    assert "INV-" not in page
    assert "E-invoice" not in page
    assert "Payments" not in page


def test_customer_data_is_escaped() -> None:
    doc = full_invoice(buyer=buyer(name="<script>alert(1)</script> & Co"))
    page = render_hosted_page(doc, None, LINKS)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page


def test_an_untaxed_invoice_has_no_empty_tax_table() -> None:
    untaxed = replace(small_invoice(lines=1), tax_summary=())  # nothing taxed: no rate to list
    page = render_hosted_page(untaxed, None, LINKS)
    assert "INV-2026-000042" in page
    assert "Taxable amount" not in page
    assert "Taxable amount" in render_hosted_page(full_invoice(), None, LINKS)
