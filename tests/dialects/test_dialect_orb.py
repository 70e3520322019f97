"""Orb's API under /orb/v1: seed 002 sent as documented with Bearer auth, the full line item object checked
field by field, amounts against Billfold's native API, Orb's errors for bad input and locked invoices."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from dialect_helpers import DATE_TIME, customer, exact, native_invoice, native_lines
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db import models as m
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import authenticate
from conftest import ApiClient

URL = "/orb/v1/invoice_line_items"
USD = re.compile(r"^-?\d+\.\d{2}$")
ERROR_TYPES = "https://docs.withorb.com/reference/error-responses#"


def bearer(api: ApiClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.key}"}


async def _invoice(api: ApiClient) -> str:
    buyer = await customer(api)
    invoice = await api.create("/v1/invoices", {"customerId": buyer["id"], "invoiceDate": "2023-09-15"})
    return str(invoice["id"])


async def create(api: ApiClient, body: dict[str, Any], status: int = 201) -> Any:
    response = await api.raw.post(URL, json=body, headers=bearer(api))
    assert response.status_code == status, response.text
    return exact(response)


ORB_FIELDS = {
    "amount",
    "end_date",
    "grouping",
    "adjustments",
    "name",
    "quantity",
    "start_date",
    "subtotal",
    "adjusted_subtotal",
    "credits_applied",
    "partially_invoiced_amount",
    "sub_line_items",
    "tax_amounts",
    "id",
    "price",
    "usage_customer_ids",
    "filter",
}


def assert_line_shape(line: dict[str, Any]) -> None:
    assert set(line) == ORB_FIELDS
    for field in ("amount", "subtotal", "adjusted_subtotal", "credits_applied", "partially_invoiced_amount"):
        assert isinstance(line[field], str), field
        assert USD.match(line[field]), field
    for field in ("start_date", "end_date"):
        assert DATE_TIME.match(line[field]), field
    assert isinstance(line["quantity"], Decimal)
    assert isinstance(line["name"], str)
    assert isinstance(line["id"], str)
    assert line["grouping"] is None
    assert line["filter"] is None
    assert line["usage_customer_ids"] is None
    assert isinstance(line["adjustments"], list)
    assert isinstance(line["sub_line_items"], list)
    assert isinstance(line["tax_amounts"], list)
    price = line["price"]
    assert price["model_type"] == "unit"
    assert set(price["unit_config"]) == {"unit_amount", "prorated"}
    assert isinstance(price["unit_config"]["unit_amount"], str)
    assert price["cadence"] == "one_time"
    assert isinstance(price["item"]["name"], str)
    assert DATE_TIME.match(price["created_at"])


async def test_seed_002_create_invoice_line_item(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    item = await api.create("/v1/products", {"name": "Consulting"})
    seed = {
        "start_date": "2023-09-22",
        "end_date": "2023-09-22",
        "quantity": 1,
        "invoice_id": invoice_id,
        "name": "Item Name",
        "amount": "12.00",
        "item_id": item["id"],
    }
    line = await create(api, seed)
    assert_line_shape(line)
    assert (line["name"], line["quantity"], line["price"]["item"]) == (
        "Item Name",
        1,
        {"id": item["id"], "name": "Consulting"},
    )
    assert (line["start_date"], line["end_date"]) == (
        "2023-09-22T00:00:00+00:00",
        "2023-09-22T00:00:00+00:00",
    )
    assert (line["subtotal"], line["adjusted_subtotal"], line["credits_applied"], line["amount"]) == (
        "12.00",
        "12.00",
        "0.00",
        "12.00",
    )
    native = native_lines(await native_invoice(api, invoice_id))[line["id"]]
    assert line["subtotal"] == native["subtotalAmount"]
    assert line["adjusted_subtotal"] == native["netAmount"]
    assert (native["productId"], native["startDate"]) == (item["id"], "2023-09-22")


async def test_item_or_name_names_the_line(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    item = await api.create("/v1/products", {"name": "Platform fee"})
    common = {"start_date": "2023-09-01", "end_date": "2023-09-30", "invoice_id": invoice_id}
    by_item = await create(api, {**common, "quantity": 3, "amount": "10.00", "item_id": item["id"]})
    assert by_item["name"] == "Platform fee"
    assert by_item["price"]["unit_config"]["unit_amount"] == "3.333333333333"
    assert by_item["amount"] == "10.00"
    by_name = await create(api, {**common, "quantity": 0.1, "amount": "1.00", "name": "Support"})
    assert by_name["quantity"] == Decimal("0.1")
    again = await create(api, {**common, "quantity": 1, "amount": "2.00", "name": "Support"})
    assert again["price"]["item"]["id"] == by_name["price"]["item"]["id"]
    names = sorted(p["name"] for p in (await api.get("/v1/products")).json()["data"])
    assert names == ["Platform fee", "Support"]
    fetched = exact(await api.raw.get(f"/orb/v1/invoices/{invoice_id}", headers=bearer(api)))
    assert [item["id"] for item in fetched["line_items"]] == [by_item["id"], by_name["id"], again["id"]]
    assert fetched["line_items"][0] == by_item
    assert fetched["total"] == (await native_invoice(api, invoice_id))["totalAmount"] == "13.00"
    assert fetched["status"] == "draft"


async def test_bad_input_answers_orbs_error_shape(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    common = {"start_date": "2023-09-01", "end_date": "2023-09-30", "invoice_id": invoice_id, "name": "X"}
    cases = [
        ({**common, "quantity": "1", "amount": "1.00"}, "quantity"),
        ({**common, "quantity": -1, "amount": "1.00"}, "quantity"),
        ({**common, "quantity": 1, "amount": 1.0}, "amount"),
        ({**common, "quantity": 1, "amount": "1.001"}, "amount"),
        ({**common, "quantity": 1, "amount": "1.00", "extra": True}, "extra"),
        ({**common, "quantity": 1}, "amount"),
    ]
    for body, field in cases:
        error = await create(api, body, 400)
        assert error["type"] == ERROR_TYPES + "400-request-validation-errors"
        assert error["status"] == 400
        assert isinstance(error["title"], str)
        assert isinstance(error["detail"], str)
        assert any(message.startswith(field) for message in error["validation_errors"]), error
    for number in ("NaN", "Infinity", "1e999", "1e-999"):
        raw = (
            f'{{"start_date":"2023-09-01","end_date":"2023-09-30","invoice_id":"{invoice_id}","name":"X",'
            f'"amount":"1.00","quantity":{number}}}'
        )
        response = await api.raw.post(
            URL, content=raw.encode(), headers={**bearer(api), "Content-Type": "application/json"}
        )
        assert response.status_code == 400, number
        assert response.json()["type"] == ERROR_TYPES + "400-request-validation-errors"
    neither = await create(api, {**common, "name": None, "quantity": 1, "amount": "1.00"}, 400)
    assert neither["validation_errors"]
    unknown = await create(
        api, {**common, "invoice_id": "4khy3nwzktxv7", "quantity": 1, "amount": "1.00"}, 404
    )
    assert unknown["type"] == ERROR_TYPES + "404-resource-not-found"
    no_item = await create(
        api, {**common, "item_id": str(uuid.uuid4()), "quantity": 1, "amount": "1.00"}, 404
    )
    assert no_item["status"] == 404
    anonymous = await api.raw.post(URL, json={**common, "quantity": 1, "amount": "1.00"})
    assert anonymous.status_code == 401
    assert anonymous.json()["type"] == ERROR_TYPES + "401-authentication-error"
    assert (await native_invoice(api, invoice_id))["standaloneLineItems"] == []


async def test_only_a_draft_takes_lines(api: ApiClient, engine: AsyncEngine) -> None:
    invoice_id = await _invoice(api)
    async with UnitOfWork(engine) as uow:
        actor = await authenticate(uow, api.key)
        await uow.repo.update_row(
            m.Invoice, actor.organization_id, uuid.UUID(invoice_id), {"status": "issued"}
        )
        await uow.commit()
    body = {
        "start_date": "2023-09-01",
        "end_date": "2023-09-30",
        "invoice_id": invoice_id,
        "name": "X",
        "quantity": 1,
        "amount": "1.00",
    }
    locked = await create(api, body, 409)
    assert locked["type"] == ERROR_TYPES + "409-resource-conflict"
    assert locked["status"] == 409
    assert "issued" in locked["detail"]
    fetched = (await api.raw.get(f"/orb/v1/invoices/{invoice_id}", headers=bearer(api))).json()
    assert fetched["status"] == "issued"


async def test_a_bulk_price_with_a_bounded_last_tier_reads_as_orb_tiers(api: ApiClient) -> None:
    # Orb's bulk config may bound the last tier (maximum_units: 1000); usage beyond it is at its rate.
    invoice = await _invoice(api)
    tiers = [
        {"from": "0", "to": "100", "unitPrice": "1.00"},
        {"from": "100", "to": "1000", "unitPrice": "0.50"},
    ]
    body = {"name": "Requests", "price": {"model": "volume", "tiers": tiers}, "usage": "1200"}
    await api.create(f"/v1/invoices/{invoice}/line-items", body)
    response = await api.raw.get(f"/orb/v1/invoices/{invoice}", headers=bearer(api))
    assert response.status_code == 200, response.text
    (line,) = exact(response)["line_items"]
    assert line["subtotal"] == "600.00"
    assert line["price"]["model_type"] == "bulk"
    assert line["price"]["bulk_config"]["tiers"][1]["to"] == "1000"
    (sub,) = line["sub_line_items"]
    assert sub["type"] == "tier"
    assert sub["amount"] == "600.00"
    assert sub["tier_config"] == {"first_unit": Decimal(100), "last_unit": None, "unit_amount": "0.5"}


async def test_invoice_links_to_its_pdf_and_hosted_page_once_issued(api: ApiClient) -> None:
    invoice = await _invoice(api)
    await api.create(f"/v1/invoices/{invoice}/line-items", {"name": "Plan", "amount": "10.00"})
    draft = (await api.raw.get(f"/orb/v1/invoices/{invoice}", headers=bearer(api))).json()
    assert (draft["invoice_pdf"], draft["hosted_invoice_url"]) == (None, None)
    issued = await api.post(f"/v1/invoices/{invoice}/issue", json={})
    assert issued.status_code == 200, issued.text
    fetched = (await api.raw.get(f"/orb/v1/invoices/{invoice}", headers=bearer(api))).json()
    native = issued.json()
    assert fetched["hosted_invoice_url"] == native["hostedInvoiceUrl"]
    assert fetched["invoice_pdf"] == native["pdfUrl"]
    assert (await api.raw.get(fetched["invoice_pdf"])).content.startswith(b"%PDF")
