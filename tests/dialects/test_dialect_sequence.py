"""Sequence's API under /sequence/api: seed 001 sent as documented with HTTP Basic auth, every documented
field checked for name, type and format, every amount against Billfold's native API."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

from dialect_helpers import customer, native_invoice, native_lines

from conftest import ApiClient

BASE = "/sequence/api/invoices"
USD = re.compile(r"^-?\d+\.\d{2}$")
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T00:00:00Z$")


def basic(key: str, password: str = "") -> dict[str, str]:
    token = base64.b64encode(f"{key}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Sequence-Version": "2024-07-30"}


async def _invoice(api: ApiClient, currency: str = "USD") -> str:
    buyer = await customer(api, currency)
    invoice = await api.create("/v1/invoices", {"customerId": buyer["id"], "invoiceDate": "2026-03-15"})
    return str(invoice["id"])


async def post(api: ApiClient, url: str, body: dict[str, Any], **headers: str) -> Any:
    response = await api.raw.post(url, json=body, headers={**basic(api.key), **headers})
    assert response.status_code == 201, response.text
    return response.json()


def assert_group_shape(group: dict[str, Any], money: re.Pattern[str] = USD) -> None:
    assert set(group) <= {
        "id",
        "invoiceId",
        "title",
        "description",
        "index",
        "netTotal",
        "totalTax",
        "grossTotal",
        "taxCategory",
    }
    uuid.UUID(group["id"])
    uuid.UUID(group["invoiceId"])
    assert isinstance(group["title"], str)
    assert group["description"] is None or isinstance(group["description"], str)
    assert isinstance(group["index"], int)
    assert not isinstance(group["index"], bool)
    for field in ("netTotal", "totalTax", "grossTotal"):
        assert money.match(group[field]), (field, group[field])


LINE_FIELDS = {
    "id",
    "invoiceId",
    "title",
    "description",
    "quantity",
    "rate",
    "taxRate",
    "servicePeriodStart",
    "servicePeriodEnd",
    "servicePeriod",
    "index",
    "groupId",
    "netTotal",
    "totalTax",
    "grossTotal",
    "priceId",
    "rateDisplay",
    "externalIds",
    "productId",
}
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


def assert_line_shape(line: dict[str, Any]) -> None:
    assert set(line) == LINE_FIELDS
    for field in ("id", "invoiceId", "productId"):
        uuid.UUID(line[field])
    for field in ("quantity", "rate", "taxRate"):
        assert DECIMAL.match(line[field]), field
    for field in ("netTotal", "totalTax", "grossTotal"):
        assert USD.match(line[field]), field
    assert STAMP.match(line["servicePeriodStart"])
    assert STAMP.match(line["servicePeriodEnd"])
    assert set(line["servicePeriod"]) == {"startDate", "endDate"}
    assert isinstance(line["index"], int)
    assert line["rateDisplay"] == "ABSOLUTE"
    assert line["externalIds"] == []


async def test_seed_001_create_line_item_group(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    seed = {
        "title": "Users",
        "description": "Charges for users",
        "taxCategoryId": "28227c88-6dba-455f-9b30-b9c76957e610",
    }
    unknown = await api.raw.post(f"{BASE}/{invoice_id}/line-item-groups", json=seed, headers=basic(api.key))
    assert unknown.status_code == 404, unknown.text
    assert set(unknown.json()) == {"code", "message", "details", "causations"}
    assert "taxCategoryId" in unknown.json()["details"]
    assert (await native_invoice(api, invoice_id))["lineItemGroups"] == []

    vat = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]})
    seed["taxCategoryId"] = str(vat["id"])
    group = await post(api, f"{BASE}/{invoice_id}/line-item-groups", seed)
    assert_group_shape(group)
    assert (group["invoiceId"], group["title"], group["description"], group["index"]) == (
        invoice_id,
        "Users",
        "Charges for users",
        0,
    )
    assert (group["netTotal"], group["totalTax"], group["grossTotal"]) == ("0.00", "0.00", "0.00")
    assert group["taxCategory"] == {"id": vat["id"], "name": "VAT"}

    line_body = {
        "title": "Seats",
        "description": "Red",
        "quantity": "3",
        "rate": "0.335",
        "taxRate": "0.2",
        "servicePeriodStart": "2026-03-02T00:00:00Z",
        "servicePeriodEnd": "2026-03-20T00:00:00Z",
        "servicePeriod": {"startDate": "2026-03-02", "endDate": "2026-03-20"},
        "groupId": group["id"],
        "rateDisplay": "ABSOLUTE",
    }
    line = await post(api, f"{BASE}/{invoice_id}/line-items", line_body)
    assert_line_shape(line)
    assert (line["quantity"], line["rate"], line["taxRate"], line["groupId"]) == (
        "3",
        "0.335",
        "0.2",
        group["id"],
    )
    assert (line["netTotal"], line["totalTax"], line["grossTotal"]) == ("1.01", "0.20", "1.21")
    assert STAMP.match(line["servicePeriodStart"])
    assert STAMP.match(line["servicePeriodEnd"])
    assert line["servicePeriod"] == {"startDate": "2026-03-02", "endDate": "2026-03-20"}
    await post(api, f"{BASE}/{invoice_id}/line-items", {"title": "Setup", "rate": "100.50"})

    native = await native_invoice(api, invoice_id)
    native_group = native["lineItemGroups"][0]
    again = (
        await api.raw.get(f"{BASE}/{invoice_id}/line-item-groups/{group['id']}", headers=basic(api.key))
    ).json()
    assert_group_shape(again)
    assert (again["netTotal"], again["totalTax"], again["grossTotal"]) == (
        native_group["netAmount"],
        native_group["taxAmount"],
        native_group["totalAmount"],
    )
    assert again["totalTax"] == "0.20"
    assert again["taxCategory"] == {"id": vat["id"], "name": "VAT"}
    listed = (await api.raw.get(f"{BASE}/{invoice_id}/line-item-groups", headers=basic(api.key))).json()
    assert listed["items"] == [again]
    assert listed["pagination"]["totalResultSize"] == 1
    everything = (await api.raw.get(f"{BASE}/{invoice_id}/line-items/all", headers=basic(api.key))).json()[
        "items"
    ]
    lines = native_lines(native)
    assert len(everything) == 2
    for item in everything:
        assert_line_shape(item)
        assert (item["netTotal"], item["grossTotal"]) == (
            lines[item["id"]]["netAmount"],
            lines[item["id"]]["totalAmount"],
        )
    paged = (await api.raw.get(f"{BASE}/{invoice_id}/line-items", headers=basic(api.key))).json()
    assert paged["items"] == everything
    one = await api.raw.get(f"{BASE}/{invoice_id}/line-items/{line['id']}", headers=basic(api.key))
    assert one.json() == line


async def test_totals_in_the_invoice_currency_precision(api: ApiClient) -> None:
    for code, rate, expected in (("JPY", "33.5", "101"), ("BHD", "0.3335", "1.001")):
        invoice_id = await _invoice(api, code)
        group = await post(api, f"{BASE}/{invoice_id}/line-item-groups", {"title": f"Seats {code}"})
        await post(
            api,
            f"{BASE}/{invoice_id}/line-items",
            {"title": "Seat", "quantity": "3", "rate": rate, "groupId": group["id"]},
        )
        again = (
            await api.raw.get(f"{BASE}/{invoice_id}/line-item-groups/{group['id']}", headers=basic(api.key))
        ).json()
        assert again["netTotal"] == again["grossTotal"] == expected, code


async def test_basic_auth_and_idempotency_header(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    url = f"{BASE}/{invoice_id}/line-item-groups"
    anonymous = await api.raw.post(url, json={"title": "x"})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    assert set(anonymous.json()) == {"code", "message", "details", "causations"}
    wrong = await api.raw.post(url, json={"title": "x"}, headers=basic("bf_wrong"))
    assert wrong.status_code == 401
    with_password = await api.raw.post(
        url, json={"title": "x"}, headers={**basic(api.key, "ignored"), "Idempotency-Key": "g1"}
    )
    assert with_password.status_code == 201
    replay = await api.raw.post(url, json={"title": "x"}, headers={**basic(api.key), "Idempotency-Key": "g1"})
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == with_password.json()
    assert len((await native_invoice(api, invoice_id))["lineItemGroups"]) == 1


async def test_bad_input_is_400_and_writes_nothing(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    url = f"{BASE}/{invoice_id}/line-items"
    cases = [
        ({"title": "x", "rate": "1", "taxRate": "0.2"}, "taxRate"),
        ({"title": "x", "rate": 1}, "rate"),
        ({"title": "x", "rate": "1", "externalIds": []}, "externalIds"),
        ({"title": "x", "rate": "1", "quantity": "-1"}, "quantity"),
        ({"rate": "1"}, "title"),
        (
            {
                "title": "x",
                "rate": "1",
                "servicePeriodStart": "2026-03-02T00:00:00Z",
                "servicePeriod": {"startDate": "2026-03-03", "endDate": "2026-03-04"},
            },
            "servicePeriodStart",
        ),
        ({"title": "x", "rate": "1", "rateDisplay": "PERCENTAGE"}, "rateDisplay"),
    ]
    for body, field in cases:
        response = await api.raw.post(url, json=body, headers=basic(api.key))
        assert response.status_code == 400, body
        assert field in response.json()["details"], response.json()
    groups = f"{BASE}/{invoice_id}/line-item-groups"
    assert (
        await api.raw.post(groups, json={"title": "x", "taxCategoryId": "VAT"}, headers=basic(api.key))
    ).status_code == 400
    missing = await api.raw.get(f"{BASE}/{uuid.uuid4()}/line-item-groups", headers=basic(api.key))
    assert missing.status_code == 404
    assert (await native_invoice(api, invoice_id))["standaloneLineItems"] == []
