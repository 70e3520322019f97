"""Credit note documents through the API: the PDF (Factur-X, type 381), UBL ``CreditNote`` and CII 381
of notes made with the API pass the official EN 16931 rules and refer to the invoice they correct
(BG-3); a voided note still renders, marked VOID; another organization's note is 404."""

from __future__ import annotations

import os
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import anyio
import httpx
from lxml import etree
from sqlalchemy.ext.asyncio import AsyncEngine
from test_documents_api import embedded_xml, pdf_text

from conftest import ApiClient, new_api_key
from document_helpers import customer, invoice, issue, seller, tax_category

UBL = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


async def _note(api: ApiClient, invoice_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(f"/v1/invoices/{invoice_id}/credit-notes", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def _credited_invoice(api: ApiClient) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An invoice at 19 % and 7 % with a discounted line, paid in part, then credited twice: part of the
    discounted line with a partial refund, and a plain amount at 7 %. (invoice, note, plain note)."""
    await seller(api)
    std = await tax_category(api, "VAT 19", "19", vatCategory="S")
    reduced = await tax_category(api, "VAT 7", "7")
    buyer = await customer(api)
    invoice_id = await invoice(api, buyer)
    base = f"/v1/invoices/{invoice_id}"
    consulting = {"name": "Consulting", "quantity": "10", "unitPrice": "95.00", "taxCategoryId": std}
    hours = await api.create(f"{base}/line-items", consulting)
    discounted = await api.post(
        f"{base}/line-items/{hours['id']}/adjustments", json={"type": "amount_discount", "amount": "50.00"}
    )
    assert discounted.status_code == 201, discounted.text
    await api.create(
        f"{base}/line-items",
        {"name": "Books", "quantity": "4", "unitPrice": "12.50", "taxCategoryId": reduced, "unitCode": "H87"},
    )
    issued = await issue(api, invoice_id)
    paid = await api.post(f"{base}/payments", json={"amount": "300.00"})
    assert paid.status_code == 201, paid.text
    note = await _note(
        api,
        invoice_id,
        {
            "reason": "product_unsatisfactory",
            "memo": "Three hours not delivered",
            "lines": [{"lineItemId": hours["id"], "quantity": "3"}],
            "refundAmount": "100.00",
        },
    )
    plain = await _note(api, invoice_id, {"reason": "other", "amount": "20.00", "taxCategoryId": reduced})
    return issued, note, plain


async def _documents(api: ApiClient, note_id: str) -> tuple[bytes, bytes, bytes]:
    base = f"/v1/credit-notes/{note_id}"
    ubl = await api.get(f"{base}/e-invoice", params={"syntax": "ubl"})
    assert ubl.status_code == 200, ubl.text
    assert ubl.headers["content-type"].startswith("application/xml")
    cii = await api.get(f"{base}/e-invoice", params={"syntax": "cii"})
    assert cii.status_code == 200, cii.text
    pdf = await api.get(f"{base}/pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    return ubl.content, cii.content, pdf.content


def _euros(amount: str) -> str:
    return f"€{Decimal(amount):,.2f}"


async def test_credit_notes_render_and_pass_the_official_rules(
    api: ApiClient, assert_valid: Callable[[bytes], None]
) -> None:
    issued, note, plain = await _credited_invoice(api)
    number = issued["invoiceNumber"]
    assert Decimal(note["discountAmount"]) > 0  # the credited line carries its share of the discount
    assert note["pdfUrl"] == f"http://billfold.test/v1/credit-notes/{note['id']}/pdf"
    for answer in (note, plain):
        ubl, cii, pdf = await _documents(api, answer["id"])
        assert_valid(ubl)
        assert_valid(cii)
        embedded = embedded_xml(pdf)
        assert embedded == cii
        assert_valid(embedded)
        root = etree.fromstring(ubl)
        assert etree.QName(root).localname == "CreditNote"
        assert root.findtext("cbc:CreditNoteTypeCode", namespaces=UBL) == "381"
        assert root.findtext("cbc:ID", namespaces=UBL) == answer["number"]
        reference = "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"
        assert root.findtext(reference, namespaces=UBL) == number
        payable = root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=UBL)
        assert payable == answer["totalAmount"]
        tax = root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=UBL)
        assert tax == answer["taxAmount"]
        document = etree.fromstring(cii)
        assert document.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=CII) == "381"
        preceding = ".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID"
        assert document.findtext(preceding, namespaces=CII) == number
        text = pdf_text(pdf)
        for shown in (answer["number"], number, _euros(answer["totalAmount"]), "Credit note"):
            assert shown in text, shown
        if answer is note:  # how it was settled: the refund, and the rest off the invoice's amount due
            assert f"€100.00 refunded; {_euros(answer['reductionAmount'])} taken off" in text
            assert "Reason: product unsatisfactory" in text
        keep = os.environ.get("BILLFOLD_KEEP_DOCUMENTS")
        if keep:  # to look at them
            await anyio.Path(keep, f"{answer['number']}.pdf").write_bytes(pdf)
    # the line credited: 3 of the 10 hours, with its share of the discount, at 19 %
    root = etree.fromstring((await _documents(api, note["id"]))[0])
    line = root.find("cac:CreditNoteLine", namespaces=UBL)
    assert line is not None
    assert line.findtext("cbc:CreditedQuantity", namespaces=UBL) == "3"
    assert line.findtext("cbc:LineExtensionAmount", namespaces=UBL) == note["lines"][0]["netAmount"]
    assert line.findtext("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", namespaces=UBL) == "19"


async def test_a_german_credit_note_is_worded_in_german(
    api: ApiClient, assert_valid: Callable[[bytes], None]
) -> None:
    """The buyer's locale words the whole note: its discount share, its reason and its settlement, with
    German money; the e-invoices stay valid."""
    await seller(api)
    std = await tax_category(api, "VAT 19", "19", vatCategory="S")
    buyer = await customer(api, locale="de")
    invoice_id = await invoice(api, buyer)
    base = f"/v1/invoices/{invoice_id}"
    consulting = {"name": "Beratung", "quantity": "10", "unitPrice": "95.00", "taxCategoryId": std}
    hours = await api.create(f"{base}/line-items", consulting)
    discounted = await api.post(
        f"{base}/line-items/{hours['id']}/adjustments", json={"type": "amount_discount", "amount": "50.00"}
    )
    assert discounted.status_code == 201, discounted.text
    number = (await issue(api, invoice_id))["invoiceNumber"]
    assert (await api.post(f"{base}/payments", json={"amount": "300.00"})).status_code == 201
    note = await _note(
        api,
        invoice_id,
        {
            "reason": "product_unsatisfactory",
            "lines": [{"lineItemId": hours["id"], "quantity": "3"}],
            "refundAmount": "100.00",
        },
    )
    assert note["discountAmount"] == "15.00"
    ubl, cii, pdf = await _documents(api, note["id"])
    assert_valid(ubl)
    assert_valid(cii)
    assert embedded_xml(pdf) == cii
    reduction = f"{Decimal(note['reductionAmount']):.2f}".replace(".", ",")
    terms = f"100,00 € erstattet; {reduction} € vom fälligen Betrag der Rechnung {number} abgezogen"
    text = pdf_text(pdf)
    for shown in ("Grund: Produkt nicht zufriedenstellend", terms, "Rabatt"):
        assert shown in text, shown
    for english in ("Reason", "refunded", "taken off", "Discount", "EUR"):
        assert english not in text, english
    root = etree.fromstring(ubl)
    assert root.findtext("cbc:Note", namespaces=UBL) == "Grund: Produkt nicht zufriedenstellend"
    assert root.findtext("cac:PaymentTerms/cbc:Note", namespaces=UBL) == terms.replace(" €", "\xa0€")
    reason = "cac:CreditNoteLine/cac:AllowanceCharge/cbc:AllowanceChargeReason"
    assert root.findtext(reason, namespaces=UBL) == "Rabatt"
    document = etree.fromstring(cii)
    assert document.findtext(".//ram:SpecifiedTradeAllowanceCharge/ram:Reason", namespaces=CII) == "Rabatt"


async def test_voided_credit_note_still_renders_marked_void(
    api: ApiClient, assert_valid: Callable[[bytes], None]
) -> None:
    _, _, plain = await _credited_invoice(api)
    voided = await api.post(f"/v1/credit-notes/{plain['id']}/void", json={"reason": "issued by mistake"})
    assert voided.status_code == 200, voided.text
    ubl, cii, pdf = await _documents(api, plain["id"])
    assert_valid(ubl)
    assert_valid(cii)
    assert embedded_xml(pdf) == cii
    text = pdf_text(pdf)
    assert "This credit note has been voided." in text
    assert plain["number"] in text


async def test_bad_syntax_is_400_and_other_organization_gets_404(
    api: ApiClient, engine: AsyncEngine, app_client: httpx.AsyncClient
) -> None:
    _, note, _ = await _credited_invoice(api)
    base = f"/v1/credit-notes/{note['id']}"
    for query in ("", "?syntax=pdf"):
        response = await api.get(f"{base}/e-invoice{query}")
        assert response.status_code == 400, response.text
        assert "syntax" in response.json()["details"]
    other = ApiClient(app_client, await new_api_key(engine, "Other"))
    for path in ("pdf", "e-invoice?syntax=ubl", "e-invoice?syntax=cii", "e-invoice?syntax=pdf"):
        response = await other.get(f"{base}/{path}")
        assert response.status_code == 404, path


async def test_what_en16931_cannot_express_is_409_naming_it(api: ApiClient) -> None:
    await seller(api, address={"street": "Hauptstraße", "city": "Berlin", "country": None})
    invoice_id = await invoice(api, await customer(api))
    line = await api.create(f"/v1/invoices/{invoice_id}/line-items", {"name": "Plan", "amount": "10.00"})
    await issue(api, invoice_id)
    credited = [{"lineItemId": line["id"], "amount": "10.00"}]
    note = await _note(api, invoice_id, {"reason": "duplicate", "lines": credited})
    for syntax in ("ubl", "cii"):
        response = await api.get(f"/v1/credit-notes/{note['id']}/e-invoice", params={"syntax": syntax})
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["code"] == "not_representable"
        assert body["message"].startswith("EN 16931 cannot express this credit note: ")
        assert "issuingAccount.address.country" in body["details"]
        assert f"lineItems[{line['id']}].taxCategoryId" in body["details"]
    pdf = await api.get(f"/v1/credit-notes/{note['id']}/pdf")  # a plain PDF/A-3, without factur-x.xml
    assert pdf.status_code == 200
    assert embedded_xml(pdf.content) is None
    assert note["number"] in pdf_text(pdf.content)


async def test_credit_of_a_line_priced_with_tax_and_an_exempt_line_passes(
    api: ApiClient, assert_valid: Callable[[bytes], None]
) -> None:
    await seller(api)
    gross = await tax_category(api, "VAT 19 incl.", "19", inclusive=True)
    exempt = await tax_category(
        api, "Exempt", "0", vatCategory="E", exemptionReason="Exempt under Art. 132(1)(i) 2006/112/EC"
    )
    invoice_id = await invoice(api, await customer(api))
    base = f"/v1/invoices/{invoice_id}"
    seats = {"name": "Seats", "quantity": "7", "unitPrice": "11.90", "taxCategoryId": gross}
    line = await api.create(f"{base}/line-items", seats)
    discounted = await api.post(
        f"{base}/line-items/{line['id']}/adjustments",
        json={"type": "percentage_discount", "percentage": "10"},
    )
    assert discounted.status_code == 201, discounted.text
    training = await api.create(
        f"{base}/line-items", {"name": "Training", "amount": "100.00", "taxCategoryId": exempt}
    )
    issued = await issue(api, invoice_id)
    credited = [
        {"lineItemId": line["id"], "quantity": "2"},
        {"lineItemId": training["id"], "amount": "33.33"},
    ]
    note = await _note(api, invoice_id, {"reason": "order_change", "lines": credited})
    ubl, cii, pdf = await _documents(api, note["id"])
    assert_valid(ubl)
    assert_valid(cii)
    assert embedded_xml(pdf) == cii
    root = etree.fromstring(ubl)
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=UBL) == note["totalAmount"]
    assert root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=UBL) == note["taxAmount"]
    reference = "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"
    assert root.findtext(reference, namespaces=UBL) == issued["invoiceNumber"]
    exemption = root.findtext(".//cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason", namespaces=UBL)
    assert exemption == "Exempt under Art. 132(1)(i) 2006/112/EC"
