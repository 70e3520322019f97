"""What EN 16931 cannot express is refused with every reason named; lines map to exact prices."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from factories import (
    EUR,
    REVERSE,
    VAT19,
    bhd_invoice,
    buyer,
    document,
    draft_invoice,
    full_invoice,
    line,
    seller,
    tiered_line,
    usage_line,
)

from billfold.documents.cii import render_cii
from billfold.documents.einvoice import NotRepresentableError, einvoice_line, not_representable
from billfold.documents.i18n import Formatter
from billfold.documents.model import Address, LineTax, VatCategory
from billfold.documents.ubl import render_ubl

FMT = Formatter.for_document("en", EUR)


def paths(doc: object) -> set[str]:
    return {reason.path for reason in not_representable(doc)}  # type: ignore[arg-type]


def test_a_complete_invoice_is_representable() -> None:
    assert not_representable(full_invoice()) == ()


@pytest.mark.parametrize("render", [render_ubl, render_cii])
def test_bhd_is_refused_naming_the_currency(render: object) -> None:
    with pytest.raises(NotRepresentableError) as caught:
        render(bhd_invoice())  # type: ignore[operator]
    assert "currency" in caught.value.details
    assert "BHD has 3 decimals" in caught.value.details["currency"]


def test_a_draft_is_refused() -> None:
    assert "number" in paths(draft_invoice())


def test_missing_party_data_is_named_by_api_path() -> None:
    doc = full_invoice(
        seller=seller(name=None, vat_id=None, tax_id=None, legal_registration_id=None, address=Address()),
        buyer=buyer(vat_id=None, legal_registration_id=None, address=Address(country="XX")),
    )
    assert {
        "issuingAccount.businessName",
        "issuingAccount.address.country",
        "issuingAccount.vatId",
        "customer.address.country",
        "customer.vatId",  # reverse charge needs the buyer's VAT id
    } <= paths(doc)


def test_line_without_vat_category_is_named() -> None:
    untaxed = line("li_x", "Thing", "1", "10.00", None)
    uncategorized = line(
        "li_y", "Other", "1", "10.00", LineTax(tax_category_id="tc_9", vat_category=None, rate=Decimal(19))
    )
    # the factory cannot sum an untaxed line: swap the lines into a built model
    doc = document([(None, [line("li_x", "Thing", "1", "10.00")])])
    group = replace(doc.groups[0], lines=(untaxed, uncategorized))
    found = paths(replace(doc, groups=(group,)))
    assert {"lineItems[li_x].taxCategoryId", "taxCategories[tc_9].vatCategory"} <= found


def test_exempt_without_reason_and_wrong_rates_are_named() -> None:
    no_reason = replace(REVERSE, exemption_reason=None, exemption_reason_code=None)
    doc = document([(None, [line("li_1", "Consulting", "1", "10.00", no_reason)])])
    assert "taxCategories[tc_rc].exemptionReason" in paths(doc)
    zero_standard = replace(VAT19, rate=Decimal(0))
    doc = document([(None, [line("li_1", "Thing", "1", "10.00", zero_standard)])])
    assert "taxCategories[tc_std].rates" in paths(doc)


def test_totals_that_do_not_add_up_are_refused() -> None:
    doc = full_invoice()
    broken = replace(doc, totals=replace(doc.totals, amount_due=doc.totals.amount_due + 1))
    assert "totals" in paths(broken)


def test_withholdings_are_refused() -> None:
    from billfold.documents.model import Withholding

    doc = replace(
        full_invoice(), withholdings=(Withholding(name="IRRF", rate=Decimal("1.5"), amount=Decimal(3)),)
    )
    assert "customer.withholdingRates" in paths(doc)


def test_usage_line_keeps_its_quantity_when_an_exact_price_exists() -> None:
    item = einvoice_line(usage_line(), FMT)
    assert (item.quantity, item.price) == (Decimal(10000), Decimal("0.00225"))
    assert item.quantity * item.price == Decimal("22.50")
    assert "Next 9,000 at 0.0025 × 9,000: €22.50" in (item.note or "")


def test_usage_line_without_exact_price_is_quantity_one() -> None:
    item = einvoice_line(tiered_line(), FMT)
    assert (item.quantity, item.price) == (Decimal(1), Decimal("10.00"))
    assert "Quantity: 3 C62" in (item.note or "")


def test_credit_line_has_negative_quantity_and_positive_price() -> None:
    item = einvoice_line(line("li_c", "Credit", "2", "-5.00"), FMT)
    assert (item.quantity, item.price) == (Decimal(-2), Decimal("5"))


def test_category_o_cannot_mix_and_hides_vat_ids() -> None:
    outside = LineTax(
        tax_category_id="tc_o",
        vat_category=VatCategory.NOT_SUBJECT,
        rate=Decimal(0),
        exemption_reason="Not subject to VAT",
    )
    doc = document([(None, [line("li_1", "A", "1", "10.00", outside), line("li_2", "B", "1", "10.00")])])
    assert "lineItems" in paths(doc)
    only_o = document([(None, [line("li_1", "A", "1", "10.00", outside)])])
    assert not_representable(only_o) == ()
    assert b"DE123456789</ram:ID>" not in render_cii(only_o).replace(b'schemeID="9930">DE123456789', b"")


def test_intra_community_supply_needs_delivery_and_both_vat_ids() -> None:
    from factories import intra_community_invoice

    doc = replace(intra_community_invoice(), delivery=None, period=None, buyer=buyer(vat_id=None))
    assert {"deliveryCountry", "deliveryDate", "customer.vatId"} <= paths(doc)


def test_credit_note_needs_the_invoice_it_corrects() -> None:
    from factories import credit_note

    with pytest.raises(ValueError, match="preceding_invoice"):
        replace(credit_note(), preceding_invoice=None)


def test_positive_amount_due_needs_due_date_or_terms() -> None:
    assert "dueDate" in paths(full_invoice(due_date=None, payment_terms=None))


def test_an_electronic_address_scheme_off_the_eas_list_is_refused() -> None:
    """A scheme stored before the list was checked (four digits, no EAS code) would break BR-CL-25."""
    from billfold.documents.model import ElectronicAddress

    doc = full_invoice()
    assert not {"customer.electronicAddress.scheme", "issuingAccount.electronicAddress.scheme"} & paths(doc)
    odd = replace(
        doc, buyer=replace(doc.buyer, electronic_address=ElectronicAddress(value="x", scheme="9999"))
    )
    assert "customer.electronicAddress.scheme" in paths(odd)
