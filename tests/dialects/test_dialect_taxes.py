"""Taxes, adjustments and credits through every dialect: one invoice with a taxed Sequence group, lines
made through each shape, line-level and invoice-level adjustments; every dialect shows the native API's
figures for the same lines and groups, in its vendor's fields, and Aira's answers keep to seed 000's
schema and Orb's line items to Orb's documented adjustment and tax objects."""

from __future__ import annotations

import base64
import re
from decimal import Decimal
from typing import Any

from dialect_helpers import check, customer, exact, native_invoice, native_lines, schemas

from conftest import ApiClient

D = Decimal
AIRA = schemas("aira_schemas.json")
USD = re.compile(r"^-?\d+\.\d{2}$")
ORB_ADJUSTMENT_FIELDS = {
    "id",
    "adjustment_type",
    "amount",
    "applies_to_price_ids",
    "filters",
    "is_invoice_level",
    "reason",
    "replaces_adjustment_id",
}
ORB_TYPE_FIELDS = {
    "usage_discount": {"usage_discount"},
    "amount_discount": {"amount_discount"},
    "percentage_discount": {"percentage_discount"},
    "minimum": {"minimum_amount", "item_id"},
    "maximum": {"maximum_amount"},
}
ORB_TYPES = {"monetary_discount": "amount_discount"}
AIRA_TYPES = {
    "amount_discount": "monetary_discount",
    "monetary_discount": "monetary_discount",
    "percentage_discount": "monetary_discount",
    "usage_discount": "monetary_discount",
    "allocation_offset": "allocation_offset",
}


def basic(api: ApiClient) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{api.key}:".encode()).decode()}


def bearer(api: ApiClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.key}"}


async def send(api: ApiClient, url: str, body: dict[str, Any], headers: dict[str, str], status: int) -> Any:
    response = await api.raw.post(url, json=body, headers=headers)
    assert response.status_code == status, response.text
    return exact(response)


async def fetch(api: ApiClient, url: str, headers: dict[str, str] | None = None) -> Any:
    response = await api.raw.get(url, headers=headers or {"X-API-KEY": api.key})
    assert response.status_code == 200, response.text
    return exact(response)


async def vat(api: ApiClient, rate: str = "20", name: str = "VAT") -> dict[str, Any]:
    return await api.create("/v1/tax-categories", {"name": name, "rates": [{"rate": rate}]})


def assert_orb_adjustment(item: dict[str, Any]) -> None:
    """One of Orb's Monetary…Adjustment objects, field for field (seed 002 and Orb's line item docs)."""
    kind = item["adjustment_type"]
    assert set(item) == ORB_ADJUSTMENT_FIELDS | ORB_TYPE_FIELDS[kind], item
    assert isinstance(item["id"], str)
    assert USD.match(item["amount"])
    assert isinstance(item["is_invoice_level"], bool)
    assert all(isinstance(price_id, str) for price_id in item["applies_to_price_ids"])
    for entry in item["filters"]:
        assert set(entry) == {"field", "operator", "values"}
        assert entry["field"] in {"price_id", "item_id"}
        assert entry["operator"] == "includes"
    assert item["reason"] is None or isinstance(item["reason"], str)
    assert item["replaces_adjustment_id"] is None
    for field in ("amount_discount", "minimum_amount", "maximum_amount", "item_id"):
        if field in item:
            assert isinstance(item[field], str), field
    for field in ("usage_discount", "percentage_discount"):
        if field in item:
            assert isinstance(item[field], Decimal), field


def assert_orb_taxes(line: dict[str, Any], native: dict[str, Any], names: dict[str, str]) -> None:
    expected = [
        {
            "tax_rate_description": names[tax["taxCategoryId"]],
            "tax_rate_percentage": tax["rate"],
            "amount": tax["amount"],
        }
        for tax in native["taxAmounts"]
    ]
    assert line["tax_amounts"] == expected
    for tax in line["tax_amounts"]:
        assert set(tax) == {"tax_rate_description", "tax_rate_percentage", "amount"}
        assert all(isinstance(value, str) for value in tax.values())


async def test_every_dialect_shows_the_native_taxes_and_adjustments(api: ApiClient) -> None:
    buyer = await customer(api)
    invoice = await api.create("/v1/invoices", {"customerId": buyer["id"], "invoiceDate": "2026-03-15"})
    invoice_id = str(invoice["id"])
    category = await vat(api)
    reduced = await vat(api, "5", "Reduced")
    names = {category["id"]: "VAT", reduced["id"]: "Reduced"}
    rates = {category["id"]: "0.2", reduced["id"]: "0.05", None: "0"}
    taxed_item = await api.create("/v1/products", {"name": "Orb usage", "taxCategoryId": category["id"]})
    await api.create("/v1/products", {"name": "Alguna seat", "taxCategoryId": reduced["id"]})

    group = await send(
        api,
        f"/sequence/api/invoices/{invoice_id}/line-item-groups",
        {"title": "Users", "description": "Charges for users", "taxCategoryId": category["id"]},
        basic(api),
        201,
    )
    assert group["taxCategory"] == {"id": category["id"], "name": "VAT"}
    sequence_line = await send(
        api,
        f"/sequence/api/invoices/{invoice_id}/line-items",
        {"title": "Seats", "quantity": "3", "rate": "10.00", "taxRate": "0.2", "groupId": group["id"]},
        basic(api),
        201,
    )
    assert (sequence_line["netTotal"], sequence_line["totalTax"], sequence_line["grossTotal"]) == (
        "30.00",
        "6.00",
        "36.00",
    )
    assert sequence_line["taxRate"] == "0.2"
    aira_line = await send(
        api,
        f"/aira/v1/invoices/{invoice_id}/line-items",
        {"idempotencyKey": "aira", "lineItemGroupId": group["id"], "name": "Aira support", "amount": 25.50},
        {"X-API-KEY": api.key},
        200,
    )
    check(aira_line, AIRA["lineItem"], AIRA)
    orb_taxed = await send(
        api,
        "/orb/v1/invoice_line_items",
        {
            "start_date": "2026-03-01",
            "end_date": "2026-03-31",
            "quantity": 2,
            "invoice_id": invoice_id,
            "item_id": taxed_item["id"],
            "amount": "9.99",
        },
        bearer(api),
        201,
    )
    assert orb_taxed["tax_amounts"] == [
        {"tax_rate_description": "VAT", "tax_rate_percentage": "20", "amount": "2.00"}
    ]
    orb_plain = await send(
        api,
        "/orb/v1/invoice_line_items",
        {
            "start_date": "2026-03-01",
            "end_date": "2026-03-31",
            "quantity": 1,
            "invoice_id": invoice_id,
            "name": "Orb fee",
            "amount": "5.55",
        },
        bearer(api),
        201,
    )
    assert orb_plain["tax_amounts"] == []
    alguna = await send(
        api,
        f"/alguna/invoices/{invoice_id}/line-items",
        {"description": "Alguna seat", "quantity": "1.5", "unitPrice": "3.33"},
        bearer(api),
        200,
    )
    alguna_line_id = alguna["lineItems"][-1]["id"]

    base = f"/v1/invoices/{invoice_id}"
    loyalty = {"type": "monetary_discount", "amount": "1.00", "reason": "Loyalty"}
    cap = {"type": "maximum", "amount": "4.00"}
    for line_id, body in ((orb_taxed["id"], loyalty), (alguna_line_id, cap)):
        response = await api.post(f"{base}/line-items/{line_id}/adjustments", json=body)
        assert response.status_code == 201, response.text
    response = await api.post(f"{base}/adjustments", json={"type": "percentage_discount", "percentage": "10"})
    assert response.status_code == 201, response.text

    native = await native_invoice(api, invoice_id)
    lines = native_lines(native)
    assert len(lines) == 5
    assert D(native["taxAmount"]) > 0
    assert D(native["discountAmount"]) > 0
    native_group = native["lineItemGroups"][0]
    kinds = {share["type"] for line in lines.values() for share in line["adjustments"]}
    assert kinds == {"monetary_discount", "maximum", "percentage_discount"}

    # Sequence: the group's and the lines' net, tax and gross; the group's real tax category
    seq = basic(api)
    seq_group = await fetch(api, f"/sequence/api/invoices/{invoice_id}/line-item-groups/{group['id']}", seq)
    assert (seq_group["netTotal"], seq_group["totalTax"], seq_group["grossTotal"]) == (
        native_group["netAmount"],
        native_group["taxAmount"],
        native_group["totalAmount"],
    )
    assert seq_group["taxCategory"] == {"id": category["id"], "name": "VAT"}
    listed = await fetch(api, f"/sequence/api/invoices/{invoice_id}/line-item-groups", seq)
    assert listed["items"] == [seq_group]
    seq_lines = (await fetch(api, f"/sequence/api/invoices/{invoice_id}/line-items/all", seq))["items"]
    assert len(seq_lines) == 5
    for item in seq_lines:
        own = lines[item["id"]]
        assert (item["netTotal"], item["totalTax"], item["grossTotal"]) == (
            own["netAmount"],
            own["taxAmount"],
            own["totalAmount"],
        )
        assert item["taxRate"] == rates[own["taxCategoryId"]]

    # Orb: subtotal, adjusted subtotal, amount, tax per rate and every adjustment share
    orb = await fetch(api, f"/orb/v1/invoices/{invoice_id}", bearer(api))
    assert (orb["subtotal"], orb["total"]) == (native["subtotalAmount"], native["totalAmount"])
    assert len(orb["line_items"]) == 5
    for item in orb["line_items"]:
        own = lines[item["id"]]
        assert item["subtotal"] == own["subtotalAmount"]
        assert item["adjusted_subtotal"] == item["amount"] == own["netAmount"]
        assert item["credits_applied"] == "0.00"
        assert_orb_taxes(item, own, names)
        expected = [
            (share["id"], ORB_TYPES.get(share["type"], share["type"]), share["amount"])
            for share in own["adjustments"]
        ]
        assert [(a["id"], a["adjustment_type"], a["amount"]) for a in item["adjustments"]] == expected
        for adjustment in item["adjustments"]:
            assert_orb_adjustment(adjustment)
        total = D(item["subtotal"]) + sum((D(a["amount"]) for a in item["adjustments"]), D(0))
        assert total == D(item["adjusted_subtotal"])
    orb_lines = {item["id"]: item for item in orb["line_items"]}
    invoice_level = {
        a["id"]: a for item in orb["line_items"] for a in item["adjustments"] if a["is_invoice_level"]
    }
    assert [(a["adjustment_type"], a["percentage_discount"]) for a in invoice_level.values()] == [
        ("percentage_discount", D("0.1"))
    ]
    (loyalty_share,) = [a for a in orb_lines[orb_taxed["id"]]["adjustments"] if not a["is_invoice_level"]]
    assert (loyalty_share["amount_discount"], loyalty_share["reason"]) == ("1.00", "Loyalty")
    (cap_share,) = [a for a in orb_lines[alguna_line_id]["adjustments"] if not a["is_invoice_level"]]
    assert (cap_share["adjustment_type"], cap_share["maximum_amount"]) == ("maximum", "4.00")
    assert orb_lines[alguna_line_id]["tax_amounts"] == [
        {"tax_rate_description": "Reduced", "tax_rate_percentage": "5", "amount": "0.18"}
    ]

    # Aira: the four amounts everywhere (total includes tax), adjustments typed by its schema
    aira = await fetch(api, f"/aira/v1/invoices/{invoice_id}")
    check(aira, AIRA["invoice"], AIRA)
    fields = ("subtotalAmount", "discountAmount", "adjustmentAmount", "totalAmount")
    assert {field: aira[field] for field in fields} == {field: D(native[field]) for field in fields}
    assert aira["amountDue"] == D(native["amountDue"])
    (aira_group,) = aira["lineItemGroups"]
    assert {field: aira_group[field] for field in fields} == {
        field: D(native_group[field]) for field in fields
    }
    aira_lines = aira["standaloneLineItems"] + aira_group["lineItems"]
    assert len(aira_lines) == 5
    for item in aira_lines:
        own = lines[item["id"]]
        assert {field: item[field] for field in fields} == {field: D(own[field]) for field in fields}
        expected_adjustments = [
            (share["id"], AIRA_TYPES[share["type"]], D(share["amount"]))
            for share in own["adjustments"]
            if share["type"] in AIRA_TYPES
        ]
        assert [(a["id"], a["type"], a["amount"]) for a in item["adjustments"]] == expected_adjustments
    by_id = {item["id"]: item for item in aira_lines}
    assert [a["name"] for a in by_id[orb_taxed["id"]]["adjustments"]] == ["Loyalty", "Percentage discount"]
    assert [a["type"] for a in by_id[alguna_line_id]["adjustments"]] == ["monetary_discount"]  # no maximum
    group_answer = await fetch(api, f"/aira/v1/invoices/{invoice_id}/line-item-groups/{group['id']}")
    check(group_answer, AIRA["group"], AIRA)
    assert group_answer["totalAmount"] == D(native_group["totalAmount"])

    # Alguna: line totalPrice = net, subtotal = Σ net, tax, total, amount remaining
    alguna_invoice = await fetch(api, f"/alguna/invoices/{invoice_id}", bearer(api))
    assert {item["id"]: item["totalPrice"] for item in alguna_invoice["lineItems"]} == {
        line_id: line["netAmount"] for line_id, line in lines.items()
    }
    assert (
        alguna_invoice["subtotal"],
        alguna_invoice["tax"],
        alguna_invoice["total"],
        alguna_invoice["amountPaid"],
        alguna_invoice["amountRemaining"],
    ) == (
        native["netAmount"],
        native["taxAmount"],
        native["totalAmount"],
        native["amountPaid"],
        native["amountRemaining"],
    )


async def test_sequence_tax_category_and_tax_rate_are_checked(api: ApiClient) -> None:
    buyer = await customer(api)
    invoice = await api.create("/v1/invoices", {"customerId": buyer["id"], "invoiceDate": "2026-03-15"})
    invoice_id = str(invoice["id"])
    groups_url = f"/sequence/api/invoices/{invoice_id}/line-item-groups"
    lines_url = f"/sequence/api/invoices/{invoice_id}/line-items"
    other_organization = "28227c88-6dba-455f-9b30-b9c76957e610"
    missing = await send(
        api, groups_url, {"title": "Users", "taxCategoryId": other_organization}, basic(api), 404
    )
    assert set(missing) == {"code", "message", "details", "causations"}
    assert list(missing["details"]) == ["taxCategoryId"]
    assert (await native_invoice(api, invoice_id))["lineItemGroups"] == []

    category = await vat(api, "7.5")
    group = await send(api, groups_url, {"title": "Users", "taxCategoryId": category["id"]}, basic(api), 201)
    for rate in ("0", "0.2", "7.5", "-0.075"):
        body = {"title": "Seat", "rate": "10", "taxRate": rate, "groupId": group["id"]}
        refused = await send(api, lines_url, body, {**basic(api), "Idempotency-Key": "seat"}, 400)
        assert list(refused["details"]) == ["taxRate"], rate
        assert '"0.075"' in refused["details"]["taxRate"]
    assert (await native_invoice(api, invoice_id))["lineItemGroups"][0]["lineItems"] == []
    body = {"title": "Seat", "rate": "10", "taxRate": "0.0750", "groupId": group["id"]}
    line = await send(api, lines_url, body, {**basic(api), "Idempotency-Key": "seat"}, 201)
    assert (line["taxRate"], line["netTotal"], line["totalTax"], line["grossTotal"]) == (
        "0.075",
        "10.00",
        "0.75",
        "10.75",
    )
    untaxed = await send(api, lines_url, {"title": "Fee", "rate": "1", "taxRate": "0"}, basic(api), 201)
    assert (untaxed["taxRate"], untaxed["totalTax"]) == ("0", "0.00")
    refused = await send(api, lines_url, {"title": "Fee", "rate": "1", "taxRate": "0.075"}, basic(api), 400)
    assert '"0"' in refused["details"]["taxRate"]
    native = await native_invoice(api, invoice_id)
    assert native["lineItemGroups"][0]["taxCategoryId"] == category["id"]
    assert [item["id"] for item in native["lineItemGroups"][0]["lineItems"]] == [line["id"]]
    assert [item["id"] for item in native["standaloneLineItems"]] == [untaxed["id"]]


async def test_credits_applied_at_issue_show_on_every_dialect(api: ApiClient) -> None:
    buyer = await customer(api)
    invoice = await api.create("/v1/invoices", {"customerId": buyer["id"], "invoiceDate": "2026-03-15"})
    invoice_id = str(invoice["id"])
    category = await vat(api)
    taxed_item = await api.create("/v1/products", {"name": "Compute", "taxCategoryId": category["id"]})
    for quantity, amount, item in (
        (3, "10.00", taxed_item["id"]),
        (1, "7.77", None),
        (2, "3.33", taxed_item["id"]),
    ):
        body: dict[str, Any] = {
            "start_date": "2026-03-01",
            "end_date": "2026-03-31",
            "quantity": quantity,
            "invoice_id": invoice_id,
            "amount": amount,
        }
        body.update({"item_id": item} if item else {"name": "Support"})
        await send(api, "/orb/v1/invoice_line_items", body, bearer(api), 201)
    granted = await api.post(f"/v1/customers/{buyer['id']}/credits", json={"amount": "15.00"})
    assert granted.status_code == 201, granted.text
    issued = await api.post(f"/v1/invoices/{invoice_id}/issue", json={})
    assert issued.status_code == 200, issued.text

    native = await native_invoice(api, invoice_id)
    lines = native_lines(native)
    assert native["creditsAppliedAmount"] == "15.00"
    assert D(native["totalAmount"]) == D("23.77")  # 10.00 + 2.00 + 7.77 + 3.33 + 0.67

    orb = await fetch(api, f"/orb/v1/invoices/{invoice_id}", bearer(api))
    assert (orb["status"], orb["credits_applied"]) == ("issued", "15.00")
    assert orb["amount_due"] == native["amountDue"]
    credits = [D(item["credits_applied"]) for item in orb["line_items"]]
    assert sum(credits, D(0)) == D(native["creditsAppliedAmount"])
    assert all(credit > 0 for credit in credits)
    for item in orb["line_items"]:
        own = lines[item["id"]]
        assert item["credits_applied"] == own["creditsAppliedAmount"]
        assert item["adjusted_subtotal"] == own["netAmount"]
        assert D(item["amount"]) == D(item["adjusted_subtotal"]) - D(item["credits_applied"])
        assert_orb_taxes(item, own, {category["id"]: "VAT"})

    aira = await fetch(api, f"/aira/v1/invoices/{invoice_id}")
    check(aira, AIRA["invoice"], AIRA)
    assert (aira["status"], aira["isLocked"]) == ("issued", True)
    assert aira["invoiceNumber"] == native["invoiceNumber"] != ""
    assert aira["totalAmount"] == D(native["totalAmount"])
    assert aira["amountDue"] == D(native["totalAmount"]) - D("15.00") == D(native["amountDue"])

    alguna = await fetch(api, f"/alguna/invoices/{invoice_id}", bearer(api))
    assert (alguna["total"], alguna["tax"], alguna["amountRemaining"]) == (
        native["totalAmount"],
        native["taxAmount"],
        native["amountRemaining"],
    )
    assert D(alguna["amountRemaining"]) == D(native["totalAmount"]) - D("15.00")

    sequence = await fetch(api, f"/sequence/api/invoices/{invoice_id}/line-items/all", basic(api))
    assert {item["id"]: (item["netTotal"], item["totalTax"]) for item in sequence["items"]} == {
        line_id: (line["netAmount"], line["taxAmount"]) for line_id, line in lines.items()
    }
