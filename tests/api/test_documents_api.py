"""Documents through the API: PDF, UBL and CII of invoices made with the API pass the official EN 16931
rules; the PDF shows the API's figures in the customer's language; what the standard cannot carry is a
409 naming the datum; documents of another organization are 404."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import pikepdf
from conftest import ApiClient
from document_helpers import full_invoice
from pypdf import PdfReader


def embedded_xml(pdf: bytes) -> bytes | None:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        files = document.attachments
        return files["factur-x.xml"].get_file().read_bytes() if "factur-x.xml" in files else None


def pdf_text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return "\n".join(page.extract_text() for page in pages).replace("\xa0", " ").replace("\u202f", " ")


async def test_full_invoice_documents_pass_the_official_rules(
    api: ApiClient, assert_valid: Callable[[bytes], None]
) -> None:
    invoice_id, answer = await full_invoice(api)
    base = f"/v1/invoices/{invoice_id}"
    ubl = await api.get(f"{base}/e-invoice?syntax=ubl")
    assert ubl.status_code == 200, ubl.text
    assert ubl.headers["content-type"].startswith("application/xml")
    number = answer["invoiceNumber"]
    assert f'filename="{number}.ubl.xml"' in ubl.headers["content-disposition"]
    assert_valid(ubl.content)
    cii = await api.get(f"{base}/e-invoice?syntax=cii")
    assert cii.status_code == 200, cii.text
    assert_valid(cii.content)
    pdf = await api.get(f"{base}/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert embedded_xml(pdf.content) == cii.content
    open("/tmp/dw/full.pdf", "wb").write(pdf.content)
    open("/tmp/dw/full.ubl.xml", "wb").write(ubl.content)
    text = pdf_text(pdf.content)
    assert number in text
    print(answer["totalAmount"], answer["taxAmount"], answer["amountDue"], answer["creditsAppliedAmount"])
    assert Decimal(answer["creditsAppliedAmount"]) > 0
