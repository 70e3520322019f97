"""Orb's credit notes under /orb/v1: the object field by field, settlement as Orb does it, and errors in
Orb's shape naming Orb's fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dialect_helpers import customer, exact

from conftest import ApiClient

URL = "/orb/v1/credit_notes"
ORB_FIELDS = {
    "id",
    "created_at",
    "voided_at",
    "credit_note_number",
    "invoice_id",
    "memo",
    "reason",
    "type",
    "subtotal",
    "total",
    "minimum_amount_refunded",
    "customer",
    "discounts",
    "maximum_amount_adjustment",
    "line_items",
    "credit_note_pdf",
}


def bearer(api: ApiClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.key}"}


async def _issued(api: ApiClient) -> tuple[str, str, str]:
    """An issued invoice with a taxed line of 10 × 9.00 (20 %): its id, the line's id, the customer's."""
    buyer = await customer(api, externalCustomerId="acme-1")
    vat = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]})
    invoice = await api.create("/v1/invoices", {"customerId": buyer["id"], "invoiceDate": "2026-03-15"})
    line = await api.create(
        f"/v1/invoices/{invoice['id']}/line-items",
        {"name": "Seats", "quantity": "10", "unitPrice": "9.00", "taxCategoryId": vat["id"]},
    )
    assert (
        await api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": "2026-03-15"})
    ).status_code == 200
    return str(invoice["id"]), str(line["id"]), str(buyer["id"])


async def test_create_and_fetch_in_orbs_shape(api: ApiClient) -> None:
    invoice_id, line_id, customer_id = await _issued(api)
    body = {
        "line_items": [{"invoice_line_item_id": line_id, "amount": "27.00"}],
        "reason": "order_change",
        "memo": "3 seats",
    }
    response = await api.raw.post(URL, json=body, headers=bearer(api))
    assert response.status_code == 201, response.text
    note = exact(response)
    assert set(note) == ORB_FIELDS
    assert (note["credit_note_number"], note["invoice_id"], note["reason"], note["memo"]) == (
        "CN-2026-000001",
        invoice_id,
        "Order change",
        "3 seats",
    )
    assert (note["type"], note["minimum_amount_refunded"], note["voided_at"]) == ("adjustment", None, None)
    assert (note["subtotal"], note["total"]) == ("27.00", "32.40")
    assert note["customer"] == {"id": customer_id, "external_customer_id": "acme-1"}
    (item,) = note["line_items"]
    assert (item["name"], item["subtotal"], item["amount"], item["quantity"]) == (
        "Seats",
        "27.00",
        "27.00",
        None,
    )
    assert item["tax_amounts"] == [
        {"tax_rate_description": "VAT", "tax_rate_percentage": "20", "amount": "5.40"}
    ]
    assert note["credit_note_pdf"] == f"http://billfold.test/v1/credit-notes/{note['id']}/pdf"
    headers = {**bearer(api), "Idempotency-Key": "orb-cn-1"}
    first = await api.raw.post(URL, json={**body, "memo": "again"}, headers=headers)
    replay = await api.raw.post(URL, json={**body, "memo": "again"}, headers=headers)
    assert (first.status_code, replay.status_code, replay.headers["Idempotent-Replayed"]) == (
        201,
        201,
        "true",
    )
    assert exact(replay) == exact(first)
    fetched = await api.raw.get(f"{URL}/{note['id']}", headers=bearer(api))
    assert fetched.status_code == 200
    assert exact(fetched) == note
    native = (await api.get(f"/v1/invoices/{invoice_id}")).json()
    # 108.00 − 2 × 32.40
    assert (native["creditedAmount"], native["amountRemaining"]) == ("64.80", "43.20")


async def test_a_paid_invoice_credits_the_customers_balance(api: ApiClient) -> None:
    invoice_id, line_id, customer_id = await _issued(api)
    assert (
        await api.post(f"/v1/invoices/{invoice_id}/payments", json={"amount": "100.00"})
    ).status_code == 201
    body = {"line_items": [{"invoice_line_item_id": line_id, "amount": "10.00"}], "reason": "duplicate"}
    note = exact(await api.raw.post(URL, json=body, headers=bearer(api)))
    assert (note["total"], note["type"], note["minimum_amount_refunded"]) == ("12.00", "refund", "4.00")
    balances = (await api.get(f"/v1/customers/{customer_id}/credits")).json()["balances"]
    assert balances == [{"currency": "USD", "available": "4.00"}]
    native = (await api.get(f"/v1/invoices/{invoice_id}")).json()
    assert (native["status"], native["amountRemaining"]) == ("paid", "0.00")


async def test_errors_in_orbs_shape_name_orbs_fields(api: ApiClient) -> None:
    invoice_id, line_id, _ = await _issued(api)
    cases: list[tuple[dict[str, Any], int, str]] = [
        (
            {"line_items": [{"invoice_line_item_id": line_id, "amount": "108.01"}]},
            409,
            "line_items[0].amount",
        ),
        ({"line_items": [{"invoice_line_item_id": line_id, "amount": "1.001"}]}, 400, "line_items[0].amount"),
        ({"line_items": [{"invoice_line_item_id": line_id, "amount": 1}]}, 400, "line_items[0].amount"),
        ({"line_items": [{"invoice_line_item_id": "nope", "amount": "1.00"}]}, 404, ""),
        (
            {"line_items": [{"invoice_line_item_id": line_id, "amount": "1.00"}], "reason": "bored"},
            400,
            "reason",
        ),
        ({"line_items": []}, 400, "line_items"),
    ]
    for body, status, field in cases:
        response = await api.raw.post(URL, json=body, headers=bearer(api))
        assert response.status_code == status, (body, response.text)
        error = response.json()
        assert error["status"] == status
        assert error["type"].startswith("https://docs.withorb.com/reference/error-responses#")
        assert field in error["detail"] + " ".join(error.get("validation_errors", [])), (body, error)
    native = (await api.get(f"/v1/invoices/{invoice_id}")).json()
    assert native["creditedAmount"] == "0.00"
    missing = await api.raw.get(f"{URL}/00000000-0000-7000-8000-000000000000", headers=bearer(api))
    assert missing.status_code == 404
    assert Decimal(native["totalAmount"]) == Decimal("108.00")
