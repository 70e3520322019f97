"""Alguna's API under /alguna: seed 004 sent as documented with Bearer auth, the whole invoice checked field
by field, amounts against Billfold's native API."""

from __future__ import annotations

import re
import uuid
from typing import Any

from dialect_helpers import DATE_TIME, customer, native_invoice, native_lines

from conftest import ApiClient

USD = re.compile(r"^-?\d+\.\d{2}$")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
STATUSES = {
    "draft",
    "upcoming",
    "pending_approval",
    "scheduled",
    "processing",
    "issuing",
    "issued",
    "void",
    "paid",
    "canceled",
    "overdue",
}
INVOICE_FIELDS = {
    "id",
    "accountId",
    "status",
    "dueDate",
    "issueDate",
    "billingPeriodStart",
    "billingPeriodEnd",
    "billingPeriod",
    "currency",
    "description",
    "lineItems",
    "subtotal",
    "tax",
    "total",
    "amountPaid",
    "amountRemaining",
    "externalId",
    "externalProvider",
    "externalUrl",
    "purchaseOrderNumber",
    "createdAt",
    "updatedAt",
}
LINE_FIELDS = {
    "id",
    "description",
    "billingPeriodStart",
    "billingPeriodEnd",
    "quantity",
    "unitPrice",
    "totalPrice",
    "isEditable",
    "productId",
}


def bearer(api: ApiClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.key}"}


def assert_invoice_shape(invoice: dict[str, Any]) -> None:
    assert set(invoice) == INVOICE_FIELDS
    assert invoice["status"] in STATUSES
    for field in ("issueDate", "billingPeriodStart", "billingPeriodEnd", "createdAt", "updatedAt"):
        assert DATE_TIME.match(invoice[field]), field
    assert invoice["dueDate"] is None or DATE_TIME.match(invoice["dueDate"])
    for field in ("subtotal", "tax", "total", "amountPaid", "amountRemaining"):
        assert USD.match(invoice[field]), field
    for field in ("externalId", "externalProvider", "externalUrl", "purchaseOrderNumber"):
        assert invoice[field] is None
    for field in ("id", "accountId", "currency", "description", "billingPeriod"):
        assert isinstance(invoice[field], str)
    for line in invoice["lineItems"]:
        assert set(line) == LINE_FIELDS
        assert DATE_TIME.match(line["billingPeriodStart"])
        assert line["billingPeriodEnd"].endswith("T23:59:59Z")
        assert DECIMAL.match(line["quantity"])
        assert DECIMAL.match(line["unitPrice"])
        assert USD.match(line["totalPrice"])
        assert isinstance(line["isEditable"], bool)
        uuid.UUID(line["productId"])


async def _invoice(api: ApiClient, **fields: object) -> str:
    buyer = await customer(api)
    invoice = await api.create(
        "/v1/invoices", {"customerId": buyer["id"], "invoiceDate": "2024-01-24", **fields}
    )
    return str(invoice["id"])


async def test_seed_004_create_invoice_line_item(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    url = f"/alguna/invoices/{invoice_id}/line-items"
    seed = {"description": "Platform subscription", "quantity": "1", "unitPrice": "500"}
    response = await api.raw.post(url, json=seed, headers=bearer(api))
    assert response.status_code == 200, response.text
    invoice = response.json()
    assert_invoice_shape(invoice)
    assert (invoice["id"], invoice["status"], invoice["currency"]) == (invoice_id, "draft", "USD")
    assert invoice["billingPeriod"] == "Jan 1, 2024 - Jan 31, 2024"
    assert invoice["description"] == "Invoice for period January 1, 2024 to January 31, 2024"
    assert (invoice["billingPeriodStart"], invoice["billingPeriodEnd"]) == (
        "2024-01-01T00:00:00Z",
        "2024-01-31T23:59:59Z",
    )
    [line] = invoice["lineItems"]
    assert (line["description"], line["quantity"], line["unitPrice"], line["totalPrice"]) == (
        "Platform subscription",
        "1",
        "500",
        "500.00",
    )
    assert line["isEditable"] is True
    second = await api.raw.post(
        url,
        json={"description": "Monthly user seats", "quantity": "3", "unitPrice": "0.335"},
        headers=bearer(api),
    )
    invoice = second.json()
    assert_invoice_shape(invoice)
    native = await native_invoice(api, invoice_id)
    lines = native_lines(native)
    for item in invoice["lineItems"]:
        assert item["totalPrice"] == lines[item["id"]]["netAmount"]
        assert item["productId"] == lines[item["id"]]["productId"]
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (
        native["netAmount"],
        native["taxAmount"],
        native["totalAmount"],
    )
    assert (invoice["amountPaid"], invoice["amountRemaining"]) == (
        native["amountPaid"],
        native["amountRemaining"],
    )
    assert invoice["total"] == "501.01"
    fetched = (await api.raw.get(f"/alguna/invoices/{invoice_id}", headers=bearer(api))).json()
    assert fetched["lineItems"] == invoice["lineItems"]


async def test_memo_is_the_description_and_idempotency(api: ApiClient) -> None:
    invoice_id = await _invoice(api, memo="Setup work")
    url = f"/alguna/invoices/{invoice_id}/line-items"
    headers = {**bearer(api), "Idempotency-Key": "al-1"}
    first = await api.raw.post(url, json={"description": "Setup", "unitPrice": "-10"}, headers=headers)
    assert first.json()["description"] == "Setup work"
    assert first.json()["total"] == "-10.00"
    replay = await api.raw.post(url, json={"description": "Setup", "unitPrice": "-10"}, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    other = await api.raw.post(url, json={"description": "Setup", "unitPrice": "-11"}, headers=headers)
    assert other.status_code == 409
    assert other.json() == {"status": 409, "detail": other.json()["detail"]}


async def test_errors_answer_status_and_detail(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    url = f"/alguna/invoices/{invoice_id}/line-items"
    for body in (
        {"description": "x", "quantity": 1, "unitPrice": "1"},
        {"description": "x"},
        {"description": "x", "unitPrice": "1", "currency": "USD"},
        {"description": "", "unitPrice": "1"},
        {"description": "x", "unitPrice": "1e5"},
    ):
        response = await api.raw.post(url, json=body, headers=bearer(api))
        assert response.status_code == 400, body
        assert set(response.json()) == {"status", "detail"}
        assert response.json()["status"] == 400
    missing = await api.raw.get(f"/alguna/invoices/{uuid.uuid4()}", headers=bearer(api))
    assert missing.status_code == 404
    assert missing.json()["status"] == 404
    anonymous = await api.raw.get(f"/alguna/invoices/{invoice_id}")
    assert anonymous.status_code == 401
    assert set(anonymous.json()) == {"status", "detail"}
    assert (await native_invoice(api, invoice_id))["standaloneLineItems"] == []


async def test_text_length_errors_count_characters(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    url = f"/alguna/invoices/{invoice_id}/line-items"
    response = await api.raw.post(url, json={"description": "", "unitPrice": "1"}, headers=bearer(api))
    assert response.status_code == 400
    assert "description: must have at least 1 character" in response.json()["detail"]
    assert "item" not in response.json()["detail"]
