"""Documents through the API: PDF, UBL and CII of invoices made with the API pass the official EN 16931
rules; the PDF shows the API's figures in the customer's language; what the standard cannot carry is a
409 naming the datum; documents of another organization are 404."""

from __future__ import annotations

import io
import os
import re
import uuid
from collections.abc import Callable
from decimal import Decimal

import anyio
import httpx
import pikepdf
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import ApiClient, new_api_key
from document_helpers import customer, full_invoice, invoice, issue, seller, tax_category


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
    if os.environ.get("BILLFOLD_KEEP_DOCUMENTS"):  # to look at them
        await anyio.Path(os.environ["BILLFOLD_KEEP_DOCUMENTS"]).write_bytes(pdf.content)
    text = pdf_text(pdf.content)
    assert number in text
    print(answer["totalAmount"], answer["taxAmount"], answer["amountDue"], answer["creditsAppliedAmount"])
    assert Decimal(answer["creditsAppliedAmount"]) > 0
    # the PDF shows the API's figures, formatted for the customer's language (de)
    for figure in ("totalAmount", "taxAmount", "amountDue"):
        shown = f"{Decimal(answer[figure]):,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
        assert f"{shown} €" in text, figure
    assert "Rechnung" in text


async def test_jpy_invoice_passes_and_bhd_is_not_representable(
    api: ApiClient, assert_valid: Callable[[bytes], None]
) -> None:
    await seller(api)
    std = await tax_category(api, "VAT 10", "10")
    for code, valid in (("JPY", True), ("BHD", False)):
        buyer = await customer(api, currency=code)
        invoice_id = await invoice(api, buyer)
        await api.create(
            f"/v1/invoices/{invoice_id}/line-items",
            {"name": "Plan", "quantity": "3", "unitPrice": "333", "taxCategoryId": std},
        )
        await issue(api, invoice_id)
        for syntax in ("ubl", "cii"):
            response = await api.get(f"/v1/invoices/{invoice_id}/e-invoice", params={"syntax": syntax})
            if valid:
                assert response.status_code == 200, response.text
                assert_valid(response.content)
            else:
                assert response.status_code == 409
                assert response.json()["code"] == "not_representable"
                assert "currency" in response.json()["details"]
        pdf = await api.get(f"/v1/invoices/{invoice_id}/pdf")
        assert pdf.status_code == 200
        assert (embedded_xml(pdf.content) is not None) is valid


async def test_draft_is_a_preview_and_has_no_e_invoice(api: ApiClient) -> None:
    await seller(api)
    invoice_id = await invoice(api, await customer(api))
    await api.create(f"/v1/invoices/{invoice_id}/line-items", {"name": "Plan", "amount": "10.00"})
    response = await api.get(f"/v1/invoices/{invoice_id}/e-invoice?syntax=ubl")
    assert response.status_code == 409
    assert response.json()["code"] == "invoice_not_issued"
    pdf = await api.get(f"/v1/invoices/{invoice_id}/pdf")
    assert pdf.status_code == 200
    assert "DRAFT" in pdf_text(pdf.content)
    assert embedded_xml(pdf.content) is None
    bad = await api.get(f"/v1/invoices/{invoice_id}/e-invoice?syntax=pdf")
    assert bad.status_code == 400
    assert "syntax" in bad.json()["details"]
    draft = (await api.get(f"/v1/invoices/{invoice_id}")).json()
    assert draft["hostedInvoiceUrl"] is None


async def test_missing_seller_country_and_line_without_tax_category_are_named(api: ApiClient) -> None:
    await seller(api, address={"street": "Hauptstraße", "city": "Berlin", "country": None})
    invoice_id = await invoice(api, await customer(api))
    line = await api.create(f"/v1/invoices/{invoice_id}/line-items", {"name": "Plan", "amount": "10.00"})
    await issue(api, invoice_id)
    response = await api.get(f"/v1/invoices/{invoice_id}/e-invoice?syntax=cii")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "not_representable"
    assert "issuingAccount.address.country" in body["details"]
    assert f"lineItems[{line['id']}].taxCategoryId" in body["details"]


async def test_other_organization_gets_404_on_every_document_route(
    api: ApiClient, engine: AsyncEngine, app_client: httpx.AsyncClient
) -> None:
    await seller(api)
    invoice_id = await invoice(api, await customer(api))
    await api.create(f"/v1/invoices/{invoice_id}/line-items", {"name": "Plan", "amount": "10.00"})
    await issue(api, invoice_id)
    other = ApiClient(app_client, await new_api_key(engine, "Other"))
    for method, path in (
        ("GET", "pdf"),
        ("GET", "e-invoice?syntax=ubl"),
        ("GET", "e-invoice?syntax=cii"),
        ("POST", "hosted-link/revoke"),
    ):
        response = await other.request(method, f"/v1/invoices/{invoice_id}/{path}")
        assert response.status_code == 404, path


async def test_hosted_page_without_key_wrong_token_and_revocation(api: ApiClient) -> None:
    await seller(api)
    invoice_id = await invoice(api, await customer(api, locale="fr"))
    await api.create(f"/v1/invoices/{invoice_id}/line-items", {"name": "Plan", "amount": "1234.50"})
    issued = await issue(api, invoice_id)
    url = issued["hostedInvoiceUrl"]
    assert url.startswith("http://billfold.test/i/")
    assert issued["pdfUrl"] == f"{url}/pdf"
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 32  # 24 random bytes
    client = api.raw
    page = await client.get(url)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-robots-tag"] == "noindex"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert issued["invoiceNumber"] in page.text
    assert "1\u202f234,50\xa0€" in page.text or "1 234,50 €" in page.text.replace("\u202f", " ").replace(
        "\xa0", " "
    )
    assert "Facture" in page.text  # the customer's French
    assert "Rechnung" in (await client.get(url, params={"locale": "de"})).text
    assert (await client.get(f"{url}/pdf")).content.startswith(b"%PDF")
    unknown = await client.get("/no/such/path")
    # the buyer has a VAT id but the line no category: the page links no e-invoice, and its address
    # answers as an unknown one (the API's 409 names ids and fields)
    assert "/ubl" not in page.text
    assert "/cii" not in page.text
    for syntax in ("ubl", "cii"):
        missing = await client.get(f"{url}/{syntax}")
        assert (missing.status_code, missing.content) == (404, unknown.content)
    assert (await api.get(f"/v1/invoices/{invoice_id}/e-invoice?syntax=ubl")).status_code == 409
    other = "y" if token.endswith("x") else "x"  # one character changed (a token may end in "x")
    for wrong in (f"/i/{token[:-1]}{other}", "/i/x", f"/i/{token}x/pdf"):
        response = await client.get(wrong)
        assert response.status_code == 404
        assert response.content == unknown.content
    revoked = await api.post(f"/v1/invoices/{invoice_id}/hosted-link/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["hostedInvoiceUrl"] != url
    assert (await client.get(url)).status_code == 404
    assert (await client.get(revoked.json()["hostedInvoiceUrl"])).status_code == 200


async def test_documents_keep_the_parties_as_issued(api: ApiClient) -> None:
    account = await seller(api)
    std = await tax_category(api, "VAT 19", "19")
    buyer = await customer(api)
    invoice_id = await invoice(api, buyer)
    await api.create(
        f"/v1/invoices/{invoice_id}/line-items", {"name": "Plan", "amount": "10.00", "taxCategoryId": std}
    )
    hosted = (await issue(api, invoice_id))["hostedInvoiceUrl"]
    before = {
        s: (await api.get(f"/v1/invoices/{invoice_id}/e-invoice?syntax={s}")).content for s in ("ubl", "cii")
    }
    for syntax, content in before.items():  # the hosted page's links give the same e-invoices
        public = await api.raw.get(f"{hosted}/{syntax}")
        assert (public.status_code, public.content) == (200, content)
    text_before = pdf_text((await api.get(f"/v1/invoices/{invoice_id}/pdf")).content)
    changed = await api.patch(
        f"/v1/issuing-accounts/{account['id']}",
        json={
            "businessName": "Renamed GmbH",
            "iban": "FR1420041010050500013M02606",
            "address": {"city": "München"},
        },
    )
    assert changed.status_code == 200, changed.text
    changed = await api.patch(
        f"/v1/customers/{buyer}", json={"name": "New name", "address": {"city": "Lyon"}}
    )
    assert changed.status_code == 200, changed.text
    after = {
        s: (await api.get(f"/v1/invoices/{invoice_id}/e-invoice?syntax={s}")).content for s in ("ubl", "cii")
    }
    assert after == before
    text_after = pdf_text((await api.get(f"/v1/invoices/{invoice_id}/pdf")).content)
    assert "Renamed" not in text_after
    assert "München" not in text_after
    assert "Lyon" not in text_after
    assert text_after == text_before
    # a new draft shows the new details
    draft = await invoice(api, buyer)
    await api.create(f"/v1/invoices/{draft}/line-items", {"name": "Plan", "amount": "10.00"})
    assert "Renamed GmbH" in pdf_text((await api.get(f"/v1/invoices/{draft}/pdf")).content)


async def test_bad_document_data_is_a_400_naming_the_field(api: ApiClient) -> None:
    account = (await api.get("/v1/issuing-accounts")).json()["data"][0]
    cases: list[tuple[str, str, dict[str, object], str]] = [
        ("PATCH", f"/v1/issuing-accounts/{account['id']}", {"vatId": "DE123"}, "vatId"),
        ("PATCH", f"/v1/issuing-accounts/{account['id']}", {"iban": "DE00 1234"}, "iban"),
        ("PATCH", f"/v1/issuing-accounts/{account['id']}", {"bic": "XX"}, "bic"),
        (
            "PATCH",
            f"/v1/issuing-accounts/{account['id']}",
            {"electronicAddress": {"value": "x", "scheme": "ZZZ"}},
            "electronicAddress.scheme",
        ),
        (  # four digits, but no code of the CEF EAS list: the e-invoice would break BR-CL-25
            "POST",
            "/v1/customers",
            {"name": "A", "electronicAddress": {"value": "x", "scheme": "9999"}},
            "electronicAddress.scheme",
        ),
        ("POST", "/v1/customers", {"name": "A", "locale": "xx-zz"}, "locale"),
        ("PATCH", "/v1/organization", {"locale": "nope-nope"}, "locale"),
        (
            "POST",
            "/v1/tax-categories",
            {"name": "T", "rates": [{"rate": "19", "vatCategory": "E"}]},
            "rates[0].vatCategory",
        ),
        (
            "POST",
            "/v1/tax-categories",
            {"name": "T", "rates": [{"rate": "19", "vatCategory": "X"}]},
            "rates[0].vatCategory",
        ),
        (
            "POST",
            "/v1/tax-categories",
            {"name": "T", "rates": [{"rate": "0", "vatCategory": "E", "exemptionReasonCode": "nope"}]},
            "rates[0].exemptionReasonCode",
        ),
        (
            "POST",
            "/v1/invoices",
            {"customerId": str(uuid.uuid4()), "deliveryCountry": "Atlantis"},
            "deliveryCountry",
        ),
    ]
    for method, path, body, field in cases:
        response = await api.request(method, path, json=body)
        assert response.status_code == 400, (path, body, response.text)
        assert field in response.json()["details"], (field, response.json())
    invoice_id = await invoice(api, await customer(api))
    bad = await api.post(
        f"/v1/invoices/{invoice_id}/line-items", json={"name": "A", "amount": "1", "unitCode": "c6"}
    )
    assert bad.status_code == 400
    assert "unitCode" in bad.json()["details"]
    line = await api.create(
        f"/v1/invoices/{invoice_id}/line-items", {"name": "A", "amount": "1", "unitCode": "HUR"}
    )
    assert line["unitCode"] == "HUR"
    patched = await api.patch(
        f"/v1/invoices/{invoice_id}", json={"buyerReference": "REF-1", "deliveryCountry": "deu"}
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["buyerReference"], patched.json()["deliveryCountry"]) == ("REF-1", "DE")
    made = await api.create(
        "/v1/issuing-accounts",
        {
            "businessName": "Second GmbH",
            "vatId": "de 123 456 788",
            "iban": "DE89 3704 0044 0532 0130 00",
            "bic": "COBADEFFXXX",
            "contact": {"name": "Ops", "email": "ops@second.example"},
            "electronicAddress": {"value": "4000001123452", "scheme": "0088"},
        },
    )
    assert (made["vatId"], made["iban"], made["contact"]["email"]) == (  # type: ignore[index]
        "DE123456788",
        "DE89370400440532013000",
        "ops@second.example",
    )
    assert made["electronicAddress"] == {"value": "4000001123452", "scheme": "0088"}
    buyer = await api.create("/v1/customers", {"name": "B", "locale": "pt_br"})
    assert buyer["locale"] == "pt-BR"
    category = await api.create("/v1/tax-categories", {"name": "Zero", "rates": [{"rate": "0"}]})
    assert category["rates"][0]["vatCategory"] == "Z"  # type: ignore[index]


async def test_hosted_page_shows_refunds_and_credit_notes_as_the_api_counts_them(api: ApiClient) -> None:
    """Paid in part, then a credit note that refunds some of the payment and takes the rest off what
    remains: the page lists the refund under the payments, the amount paid is net of it, the credit
    notes' part is its own row, and the amount remaining is the API's."""
    await seller(api)
    invoice_id = await invoice(api, await customer(api))
    base = f"/v1/invoices/{invoice_id}"
    await api.create(f"{base}/line-items", {"name": "Plan", "amount": "1000.00"})
    issued = await issue(api, invoice_id)
    paid = await api.post(f"{base}/payments", json={"amount": "500.00", "reference": "WIRE-1"})
    assert paid.status_code == 201, paid.text
    noted = await api.post(
        f"{base}/credit-notes", json={"reason": "other", "amount": "200.00", "refundAmount": "50.00"}
    )
    assert noted.status_code == 201, noted.text
    after = (await api.get(base)).json()
    assert (after["amountPaid"], after["refundedAmount"]) == ("500.00", "50.00")
    text = (await api.raw.get(issued["hostedInvoiceUrl"])).text
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td class=\"num\">([^<]+)</td></tr>", text)
    figures = dict(rows)
    assert figures["Amount paid"] == "€450.00"  # 500 paid less 50 refunded
    assert figures["Credit notes"] == "€200.00"  # 50 refunded + 150 taken off what remains
    assert after["amountRemaining"] == "350.00"  # 1000 - 450 - 200
    assert "€350.00" in re.sub(r"\s+", " ", text.split("Credit notes", 1)[1])
    assert f"Refund · {noted.json()['number']}" in text
    assert "-€50.00" in text
    assert "WIRE-1" in text
