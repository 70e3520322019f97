"""Taxes, adjustments, credits, percent split and gross-up through the API: every level reconciles."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db.models import Invoice
from conftest import ApiClient, make_invoice, statements_sent, today

D = Decimal


async def _category(api: ApiClient, rate: str, inclusive: bool = False, name: str | None = None) -> str:
    body = {"name": name or f"VAT {rate}", "rates": [{"rate": rate, "inclusive": inclusive}]}
    return str((await api.create("/v1/tax-categories", body))["id"])


async def _line(api: ApiClient, base: str, **fields: object) -> dict[str, Any]:
    return await api.create(f"{base}/line-items", {"name": "Item", **fields})


async def _get(api: ApiClient, base: str) -> dict[str, Any]:
    response = await api.get(base)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def assert_reconciles(invoice: dict[str, Any]) -> None:
    """Σ lines = group; Σ groups + standalone = invoice; net + tax = total at every level."""
    fields = ("subtotalAmount", "discountAmount", "adjustmentAmount", "netAmount", "taxAmount", "totalAmount")
    levels = [invoice, *invoice["lineItemGroups"]]
    lines = list(invoice["standaloneLineItems"])
    for group in invoice["lineItemGroups"]:
        lines += group["lineItems"]
        for field in fields:
            assert D(group[field]) == sum((D(x[field]) for x in group["lineItems"]), D(0)), field
    for field in fields:
        assert D(invoice[field]) == sum((D(x[field]) for x in lines), D(0)), field
    for level in [*levels, *lines]:
        assert D(level["netAmount"]) + D(level["taxAmount"]) == D(level["totalAmount"])


async def _summary_total(api: ApiClient, invoice_id: str) -> str:
    rows = (await api.get("/v1/invoices", params={"limit": 100})).json()["data"]
    return str(next(row for row in rows if row["id"] == invoice_id)["totalAmount"])


async def test_en16931_rounds_per_rate_and_the_organization_may_round_per_line(api: ApiClient) -> None:
    # EN 16931 BR-CO-14: the VAT of a rate is computed once on the sum of the lines at that rate.
    vat = await _category(api, "20")
    invoice = await make_invoice(api, currency="EUR")
    base = f"/v1/invoices/{invoice['id']}"
    for _ in range(3):
        await _line(api, base, amount="0.03", taxCategoryId=vat)
    full = await _get(api, base)
    assert full["taxAmount"] == "0.02"  # round(0.09 x 20 %) = round(0.018)
    assert full["totalAmount"] == "0.11"
    assert full["taxSummary"] == [
        {"taxCategoryId": vat, "rate": "20", "inclusive": False, "taxableAmount": "0.09", "taxAmount": "0.02"}
    ]
    assert await _summary_total(api, str(invoice["id"])) == "0.11"
    assert_reconciles(full)
    assert (await api.patch("/v1/organization", json={"taxRounding": "line"})).status_code == 200
    per_line = await make_invoice(api, currency="EUR")
    per_line_base = f"/v1/invoices/{per_line['id']}"
    for _ in range(3):
        await _line(api, per_line_base, amount="0.03", taxCategoryId=vat)
    assert (await _get(api, per_line_base))["taxAmount"] == "0.03"  # 3 x round(0.006)
    assert await _summary_total(api, str(per_line["id"])) == "0.12"


async def test_inclusive_price_and_two_rates(api: ApiClient) -> None:
    # HMRC VAT Notice 700: a VAT-inclusive 100.00 at 20 % holds 16.67 of VAT on a net 83.33.
    inclusive = await _category(api, "20", inclusive=True)
    reduced = await _category(api, "5")
    invoice = await make_invoice(api, currency="GBP")
    base = f"/v1/invoices/{invoice['id']}"
    gross = await _line(api, base, amount="100.00", taxCategoryId=inclusive)
    assert (gross["netAmount"], gross["taxAmount"], gross["totalAmount"]) == ("83.33", "16.67", "100.00")
    await _line(api, base, quantity="3", unitPrice="9.99", taxCategoryId=reduced)
    full = await _get(api, base)
    assert [row["rate"] for row in full["taxSummary"]] == ["20", "5"]
    assert full["taxAmount"] == "18.17"  # 16.67 + round(29.97 x 5 %) = 16.67 + 1.50
    assert full["totalAmount"] == "131.47"
    assert await _summary_total(api, str(invoice["id"])) == "131.47"
    assert_reconciles(full)


async def test_tax_category_falls_back_from_group_to_product_to_default(api: ApiClient) -> None:
    standard, reduced, zero = (
        await _category(api, "20"),
        await _category(api, "10"),
        await _category(api, "0"),
    )
    await api.patch("/v1/organization", json={"defaultTaxCategoryId": zero})
    product = await api.create("/v1/products", {"name": "Book", "taxCategoryId": reduced})
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    group = await api.create(f"{base}/line-item-groups", {"name": "Taxed", "taxCategoryId": standard})
    in_group = await _line(api, base, amount="10.00", lineItemGroupId=group["id"])
    by_product = await _line(api, base, amount="10.00", productId=product["id"])
    by_default = await _line(api, base, amount="10.00", name="Other")
    assert [x["taxCategoryId"] for x in (in_group, by_product, by_default)] == [standard, reduced, zero]
    assert [x["taxAmount"] for x in (in_group, by_product, by_default)] == ["2.00", "1.00", "0.00"]


async def test_invoice_discount_is_computed_once_and_split(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    for _ in range(3):
        await _line(api, base, amount="0.05")
    response = await api.post(f"{base}/adjustments", json={"type": "percentage_discount", "percentage": "10"})
    assert response.status_code == 201, response.text
    full = response.json()
    assert full["discountAmount"] == "0.02"  # round(10 % of 0.15), not 3 x round(0.005) = 0.03
    assert sorted(x["discountAmount"] for x in full["standaloneLineItems"]) == ["0.00", "0.01", "0.01"]
    assert full["adjustments"][0]["appliedAmount"] == "-0.02"  # the signed effect on the total
    assert await _summary_total(api, str(invoice["id"])) == "0.13"
    # a line added afterwards changes every share, and the stored total follows
    await _line(api, base, amount="0.05")
    full = await _get(api, base)
    assert (full["discountAmount"], full["totalAmount"]) == ("0.02", "0.18")
    assert await _summary_total(api, str(invoice["id"])) == "0.18"
    assert_reconciles(full)
    removed = await api.delete(f"{base}/adjustments/{full['adjustments'][0]['id']}")
    assert removed.json()["totalAmount"] == "0.20"


async def test_full_discount_gives_zero_and_excess_is_reported(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    line = await _line(api, base, amount="30.00")
    credit = await _line(api, base, amount="-5.00")
    response = await api.post(
        f"{base}/line-items/{line['id']}/adjustments", json={"type": "amount_discount", "amount": "50"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["totalAmount"] == "0.00"
    full = await api.post(f"{base}/adjustments", json={"type": "percentage_discount", "percentage": "100"})
    body = full.json()
    assert body["totalAmount"] == "-5.00"  # the credit line is never discounted
    assert next(x for x in body["standaloneLineItems"] if x["id"] == credit["id"])["totalAmount"] == "-5.00"
    assert all(D(x["totalAmount"]) >= 0 for x in body["standaloneLineItems"] if x["id"] != credit["id"])
    assert_reconciles(body)


async def test_group_adjustments_and_taxes_reconcile(api: ApiClient) -> None:
    vat = await _category(api, "19")
    invoice = await make_invoice(api, currency="EUR")
    base = f"/v1/invoices/{invoice['id']}"
    group = await api.create(f"{base}/line-item-groups", {"name": "Seats", "taxCategoryId": vat})
    for index in range(7):
        await _line(api, base, quantity=str(index + 1), unitPrice="3.33", lineItemGroupId=group["id"])
    await _line(api, base, amount="12.34", taxCategoryId=vat)
    adjusted = await api.post(
        f"{base}/line-item-groups/{group['id']}/adjustments",
        json={"type": "amount_discount", "amount": "10.01"},
    )
    assert adjusted.status_code == 201, adjusted.text
    assert adjusted.json()["discountAmount"] == "10.01"
    full = await _get(api, base)
    assert_reconciles(full)
    assert full["totalAmount"] == await _summary_total(api, str(invoice["id"]))


async def test_bad_adjustments_are_refused(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    for body, field in (
        ({"type": "percentage_discount", "percentage": "101"}, "percentage"),
        ({"type": "amount_discount"}, "amount"),
        ({"type": "amount_discount", "amount": "1.001"}, "amount"),
        ({"type": "bogus", "amount": "1"}, "type"),
        ({"type": "allocation_offset", "amount": "1"}, "type"),
    ):
        response = await api.post(f"{base}/adjustments", json=body)
        assert response.status_code == 400, (body, response.text)
        assert field in response.json()["details"], response.json()
    assert (await _get(api, base))["adjustments"] == []


async def test_credits_are_applied_at_issue_and_never_twice(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Prepaid"})
    granted = await api.post(f"/v1/customers/{customer['id']}/credits", json={"amount": "50.00"})
    assert granted.status_code == 201, granted.text
    ids = []
    for _ in range(2):
        invoice = await api.create("/v1/invoices", {"customerId": customer["id"]})
        await _line(api, f"/v1/invoices/{invoice['id']}", amount="40.00")
        ids.append(invoice["id"])
    # issued today: a grant counts from the day it was granted
    responses = await asyncio.gather(*(api.post(f"/v1/invoices/{i}/issue", json={}) for i in ids))
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    applied = sorted(r.json()["creditsAppliedAmount"] for r in responses)
    assert applied == ["10.00", "40.00"]
    assert sorted(r.json()["amountDue"] for r in responses) == ["0.00", "30.00"]
    paid = next(r.json() for r in responses if r.json()["amountDue"] == "0.00")
    assert paid["status"] == "paid"
    lines = paid["standaloneLineItems"]
    assert sum(D(x["creditsAppliedAmount"]) for x in lines) == D("40.00")
    ledger = (await api.get(f"/v1/customers/{customer['id']}/credits")).json()
    assert ledger["balances"][0]["available"] == "0.00"


async def test_percent_split_shares_reconcile(api: ApiClient) -> None:
    vat = await _category(api, "20")
    customer = await api.create("/v1/customers", {"name": "Split"})
    first = (await api.get(f"/v1/customers/{customer['id']}/payment-accounts")).json()["data"][0]["id"]
    second = (await api.create(f"/v1/customers/{customer['id']}/payment-accounts", {"tradeName": "B"}))["id"]
    invoice = await api.create(
        "/v1/invoices",
        {
            "customerId": customer["id"],
            "invoiceAllocationStrategy": "percent_split",
            "allocations": [
                {"paymentAccountId": first, "percentage": "33.3333"},
                {"paymentAccountId": second, "percentage": "66.6667"},
            ],
        },
    )
    base = f"/v1/invoices/{invoice['id']}"
    await _line(api, base, amount="100.01", taxCategoryId=vat)
    full = await _get(api, base)
    shares = full["allocations"]
    assert len(shares) == 2
    for field in ("netAmount", "taxAmount", "totalAmount"):
        assert sum(D(s[field]) for s in shares) == D(full[field])
    for share in shares:
        assert D(share["netAmount"]) + D(share["taxAmount"]) == D(share["totalAmount"])
    bad = await api.post(
        "/v1/invoices",
        json={
            "customerId": customer["id"],
            "invoiceAllocationStrategy": "percent_split",
            "allocations": [{"paymentAccountId": first, "percentage": "50"}],
        },
    )
    assert bad.status_code == 400
    assert "allocations" in bad.json()["details"]


async def test_gross_up_leaves_the_seller_the_intended_net(api: ApiClient) -> None:
    # Brazilian service invoices: the customer withholds each tax from the total; grossing up makes
    # what is left exactly the intended net.
    invoice = await make_invoice(
        api,
        currency="BRL",
        withholdingRates=[
            {"name": "IRRF", "rate": "1.5"},
            {"name": "PIS", "rate": "0.65"},
            {"name": "COFINS", "rate": "3"},
            {"name": "CSLL", "rate": "1"},
        ],
    )
    base = f"/v1/invoices/{invoice['id']}"
    await _line(api, base, amount="1000.00")
    gross_up = await _line(api, base, scope="tax_gross_up", name="Gross-up")
    assert gross_up["scope"] == "tax_gross_up"
    full = await _get(api, base)
    total = D(full["totalAmount"])
    withheld = sum(D(w["amount"]) for w in full["withholdings"])
    assert total - withheld == D("1000.00")
    assert full["withholdingAmount"] == str(withheld)
    assert await _summary_total(api, str(invoice["id"])) == full["totalAmount"]


async def test_issued_invoice_figures_are_frozen(api: ApiClient) -> None:
    vat = await _category(api, "20")
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    for _ in range(3):
        await _line(api, base, amount="0.03", taxCategoryId=vat)
    issued = (await api.post(f"{base}/issue", json={"issueDate": today()})).json()
    assert issued["taxAmount"] == "0.02"
    await api.patch("/v1/organization", json={"taxRounding": "line"})
    again = await _get(api, base)
    assert again["taxAmount"] == "0.02"
    assert again["taxSummary"] == issued["taxSummary"]
    assert again["standaloneLineItems"] == issued["standaloneLineItems"]


async def test_adjustment_shares_survive_issue(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    line = await _line(api, base, amount="10.00")
    await api.post(
        f"{base}/adjustments", json={"type": "amount_discount", "amount": "1.00", "reason": "Loyalty"}
    )
    draft_line = (await api.get(f"{base}/line-items/{line['id']}")).json()
    assert draft_line["adjustments"][0]["amount"] == "-1.00"
    assert draft_line["totalAmount"] == "9.00"
    issued = (await api.post(f"{base}/issue", json={"issueDate": today()})).json()
    assert issued["standaloneLineItems"][0]["adjustments"] == draft_line["adjustments"]
    assert issued["adjustments"][0]["appliedAmount"] == "-1.00"
    assert (await api.get(f"{base}/line-items/{line['id']}")).json()["totalAmount"] == "9.00"


async def test_a_paid_credit_purchase_grants_credit(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Buyer"})
    invoice = await api.create("/v1/invoices", {"customerId": customer["id"]})
    base = f"/v1/invoices/{invoice['id']}"
    await _line(api, base, name="Prepaid credits", amount="250.00", scope="credit_purchase")
    await api.post(f"{base}/issue", json={})
    ledger = (await api.get(f"/v1/customers/{customer['id']}/credits")).json()
    assert ledger["data"] == []  # not before it is paid
    paid = await api.post(f"{base}/payments", json={"amount": "250.00"})
    assert paid.json()["invoiceStatus"] == "paid"
    ledger = (await api.get(f"/v1/customers/{customer['id']}/credits")).json()
    assert [(e["kind"], e["amount"]) for e in ledger["data"]] == [("grant", "250.00")]
    assert ledger["balances"][0]["available"] == "250.00"


async def test_line_discount_shows_on_an_untaxed_invoice_before_and_after_issue(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    line = await _line(api, base, amount="20.00")
    await api.post(
        f"{base}/line-items/{line['id']}/adjustments",
        json={"type": "percentage_discount", "percentage": "25"},
    )
    draft = await _get(api, base)
    shares = draft["standaloneLineItems"][0]["adjustments"]
    assert [(s["type"], s["amount"]) for s in shares] == [("percentage_discount", "-5.00")]
    issued = (await api.post(f"{base}/issue", json={"issueDate": today()})).json()
    assert issued["standaloneLineItems"][0]["adjustments"] == shares
    assert (issued["discountAmount"], issued["totalAmount"]) == ("5.00", "15.00")


async def test_adjustment_amounts_are_answered_with_the_currencys_places(api: ApiClient) -> None:
    """An amount given as ``"3"`` is money like any other: ``"3.00"`` in USD, ``"3"`` in JPY, ``"3.000"``
    in BHD, on the line, the group and the invoice, before and after issue."""
    for code, places in (("USD", "3.00"), ("JPY", "3"), ("BHD", "3.000")):
        invoice = await make_invoice(api, currency=code)
        base = f"/v1/invoices/{invoice['id']}"
        group = await api.create(f"{base}/line-item-groups", {"name": "Seats"})
        line = await _line(api, base, amount="100", lineItemGroupId=group["id"])
        body = {"type": "amount_discount", "amount": "3"}
        on_line = await api.create(f"{base}/line-items/{line['id']}/adjustments", body)
        on_group = await api.create(f"{base}/line-item-groups/{group['id']}/adjustments", body)
        minimum = {"type": "minimum", "amount": "1000"}
        on_invoice = await api.create(f"{base}/adjustments", minimum)
        assert on_line["adjustmentDefinitions"][0]["amount"] == places
        assert on_group["adjustmentDefinitions"][0]["amount"] == places
        thousand = "1000" + places[1:]
        assert on_invoice["adjustments"][0]["amount"] == thousand
        issued = await api.post(f"{base}/issue", json={})
        assert issued.status_code == 200, issued.text
        full = issued.json()
        assert full["adjustments"][0]["amount"] == thousand
        assert full["lineItemGroups"][0]["adjustmentDefinitions"][0]["amount"] == places
        assert full["lineItemGroups"][0]["lineItems"][0]["adjustmentDefinitions"][0]["amount"] == places


async def test_an_unknown_product_or_price_in_applies_to_is_a_404_naming_it(
    api: ApiClient, engine: AsyncEngine
) -> None:
    """Every level (invoice, group, line) checks the filter's ids, one query per list; nothing is written."""
    product = await api.create("/v1/products", {"name": "Seat"})
    price = await api.create(
        "/v1/prices", {"productId": product["id"], "currency": "USD", "model": "unit", "unitPrice": "1"}
    )
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    group = await api.create(f"{base}/line-item-groups", {"name": "Seats"})
    line = await _line(api, base, amount="10.00", productId=product["id"], lineItemGroupId=group["id"])
    before = await _get(api, base)
    zero, unknown = "00000000-0000-0000-0000-000000000000", str(uuid.uuid4())
    filters: list[tuple[dict[str, list[str]], dict[str, str]]] = [
        ({"productIds": [zero]}, {"appliesTo.productIds[0]": "no such product"}),
        ({"priceIds": [price["id"], unknown]}, {"appliesTo.priceIds[1]": "no such price"}),
        (
            {"productIds": [product["id"], unknown, zero], "priceIds": [zero]},
            {
                "appliesTo.productIds[1]": "no such product",
                "appliesTo.productIds[2]": "no such product",
                "appliesTo.priceIds[0]": "no such price",
            },
        ),
    ]
    for url in (
        f"{base}/adjustments",
        f"{base}/line-item-groups/{group['id']}/adjustments",
        f"{base}/line-items/{line['id']}/adjustments",
    ):
        for applies, details in filters:
            body = {"type": "amount_discount", "amount": "1", "appliesTo": applies}
            with statements_sent(engine) as sent:
                response = await api.post(url, json=body)
            assert response.status_code == 404, response.text
            assert response.json()["code"] == "not_found"
            assert response.json()["details"] == details
            reads = [s for s in sent if " FROM products" in s or " FROM prices" in s]
            assert len(reads) == len(applies), reads  # one query per list, not one per id
    assert await _get(api, base) == before
    body = {"type": "amount_discount", "amount": "1", "appliesTo": {"productIds": [product["id"]]}}
    body["appliesTo"]["priceIds"] = [price["id"]]
    assert (await api.post(f"{base}/adjustments", json=body)).status_code == 201


async def test_adjustment_definitions_are_stored_neutral_and_answered_in_the_api_shape(
    api: ApiClient, engine: AsyncEngine
) -> None:
    """Stored as snake_case data (no API names); answered in camelCase with money in the currency's
    places (``"3.00"``, not the ``"3"`` given)."""
    product = await api.create("/v1/products", {"name": "Seat"})
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    await _line(api, base, amount="10.00", productId=product["id"])
    body = {"type": "amount_discount", "amount": "3", "appliesTo": {"productIds": [product["id"]]}}
    response = await api.post(f"{base}/adjustments", json=body)
    assert response.status_code == 201, response.text
    (shown,) = response.json()["adjustments"]
    assert shown["amount"] == "3.00"
    assert shown["appliesTo"] == {"productIds": [product["id"]], "priceIds": []}
    assert shown["appliedAmount"] == "-3.00"
    async with engine.connect() as connection:
        stored = (
            await connection.execute(
                select(Invoice.adjustments).where(Invoice.id == uuid.UUID(str(invoice["id"])))
            )
        ).scalar_one()
    assert stored[0]["applies_to"] == {"product_ids": [product["id"]], "price_ids": []}
    assert "appliesTo" not in stored[0]
