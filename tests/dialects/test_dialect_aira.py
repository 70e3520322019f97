"""Aira's API under /aira: seeds 003 (create invoice) and 000 (create line item group) sent as documented,
every answer checked against the seed's JSON schema, every amount against Billfold's native API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from dialect_helpers import check, customer, exact, native_invoice, native_lines, schemas

from conftest import ApiClient

SCHEMAS = schemas("aira_schemas.json")
BASE = "/aira/v1/invoices"


def conforms(value: Any, name: str) -> None:
    check(value, SCHEMAS[name], SCHEMAS)


def seed_003_body(customer_id: str, account_id: str, key: str = "inv-1") -> dict[str, Any]:
    """Seed 003's request example with its placeholders replaced (both customer fields, as documented)."""
    return {
        "idempotencyKey": key,
        "invoiceDate": "2023-12-25",
        "memo": "March services",
        "customerId": customer_id,
        "externalCustomerId": "acme-br",
        "paymentAccountId": account_id,
    }


async def _aira_invoice(api: ApiClient, currency: str = "USD") -> dict[str, Any]:
    buyer = await customer(api, currency)
    body = {
        "idempotencyKey": f"inv-{currency}",
        "invoiceDate": "2026-03-15",
        "memo": "m",
        "customerId": buyer["id"],
    }
    response = await api.post(BASE, json=body)
    assert response.status_code == 200, response.text
    invoice: dict[str, Any] = exact(response)
    return invoice


async def test_seed_003_create_invoice(api: ApiClient) -> None:
    buyer = await customer(
        api,
        "BRL",
        externalCustomerId="acme-br",
        emails=["billing@acme.example"],
        taxId="11.222.333/0001-81",
        taxIdType="br_cnpj",
        address={"street": "Rua A", "number": "10", "city": "Rio Branco", "state": "AC", "country": "BR"},
    )
    account = (await api.get(f"/v1/customers/{buyer['id']}/payment-accounts")).json()["data"][0]
    both = await api.post(f"{BASE}/", json=seed_003_body(buyer["id"], account["id"]))
    assert both.status_code == 400, both.text
    conforms(exact(both), "error400")
    assert {"customerId", "externalCustomerId"} <= set(both.json()["details"])

    body = {**seed_003_body(buyer["id"], account["id"]), "externalCustomerId": None}
    response = await api.post(f"{BASE}/", json=body)
    assert response.status_code == 200, response.text
    invoice = exact(response)
    conforms(invoice, "invoice")
    assert invoice["customerId"] == buyer["id"]
    assert invoice["paymentAccountId"] == account["id"]
    assert (invoice["status"], invoice["isLocked"], invoice["invoiceNumber"]) == ("open", False, "")
    assert (invoice["source"], invoice["failureReason"], invoice["contractId"]) == ("one_off", None, None)
    assert invoice["invoiceDate"] == "2023-12-25"
    assert invoice["memo"] == "March services"
    assert invoice["idempotencyKey"] == "inv-1"
    billing = invoice["billingAccount"]
    assert (billing["taxId"], billing["taxIdType"]) == ("11222333000181", "cnpj")
    assert (billing["state"], billing["country"], billing["emails"]) == (
        "AC",
        "Brasil",
        ["billing@acme.example"],
    )
    assert invoice["issuingAccount"]["tradeName"] == "Test organization"
    assert invoice["lineItemGroups"] == invoice["standaloneLineItems"] == []
    native = await native_invoice(api, invoice["id"])
    assert native["currency"] == "BRL"
    assert native["memo"] == "March services"


async def test_external_customer_id_and_no_trailing_slash(api: ApiClient) -> None:
    buyer = await customer(api, externalCustomerId="ext-7")
    body = {"idempotencyKey": "k7", "invoiceDate": "2026-01-31", "memo": "", "externalCustomerId": "ext-7"}
    response = await api.post(BASE, json=body)
    assert response.status_code == 200, response.text
    conforms(exact(response), "invoice")
    assert response.json()["customerId"] == buyer["id"]
    missing = await api.post(BASE, json={**body, "idempotencyKey": "k8", "externalCustomerId": None})
    assert missing.status_code == 400
    conforms(exact(missing), "error400")
    unknown = await api.post(BASE, json={**body, "idempotencyKey": "k9", "externalCustomerId": "nobody"})
    assert unknown.status_code == 404
    conforms(exact(unknown), "error404")


async def test_seed_000_create_group_and_lines(api: ApiClient) -> None:
    invoice = await _aira_invoice(api)
    product = await api.create("/v1/products", {"name": "Seats"})
    body = {
        "idempotencyKey": "group-1",
        "productId": product["id"],
        "name": None,
        "startDate": "2026-03-01",
        "endDate": "2026-03-31",
    }
    conforms(body, "groupRequest")
    created = await api.post(f"{BASE}/{invoice['id']}/line-item-groups", json=body)
    assert created.status_code == 200, created.text
    group = exact(created)
    conforms(group, "group")
    assert (group["name"], group["productId"], group["lineItems"]) == ("Seats", product["id"], [])
    assert (group["planId"], group["planInstanceId"], group["totalAmount"]) == (None, None, Decimal("0.00"))

    base = f"{BASE}/{invoice['id']}/line-items"
    unit = {
        "idempotencyKey": "l1",
        "lineItemGroupId": group["id"],
        "name": "Seat",
        "quantity": 3,
        "unitPrice": "0.335",
    }
    fixed = {"idempotencyKey": "l2", "productId": product["id"], "amount": 100.50}
    seat = exact(await api.post(base, json=unit))
    fee = exact(await api.post(base, json=fixed))
    for line in (seat, fee):
        conforms(line, "lineItem")
    assert seat["subLineItems"][0]["metadata"] == {"type": "unit_price", "price": "0.335"}
    assert (seat["totalUsage"], seat["usageFormat"], seat["scope"]) == (Decimal(3), "unit", "one_off")
    assert fee["subLineItems"][0]["metadata"] == {"type": "fixed_price", "fixedPrice": Decimal("100.50")}
    assert (fee["name"], fee["lineItemGroupId"]) == ("Seats", None)

    native = await native_invoice(api, invoice["id"])
    lines = native_lines(native)
    for line in (seat, fee):
        for field in ("subtotalAmount", "discountAmount", "adjustmentAmount", "totalAmount"):
            assert line[field] == Decimal(lines[line["id"]][field])
        assert sum(sub["amount"] for sub in line["subLineItems"]) == line["subtotalAmount"]
    full = exact(await api.get(f"{BASE}/{invoice['id']}"))
    conforms(full, "invoice")
    assert full["totalAmount"] == Decimal(native["totalAmount"]) == Decimal("101.51")
    assert full["amountDue"] == Decimal(native["amountDue"])
    assert full["lineItemGroups"][0]["totalAmount"] == Decimal("1.01")
    assert [item["id"] for item in full["standaloneLineItems"]] == [fee["id"]]
    again = exact(await api.get(f"{BASE}/{invoice['id']}/line-item-groups/{group['id']}"))
    conforms(again, "group")
    assert again["lineItems"][0]["id"] == seat["id"]
    one = exact(await api.get(f"{base}/{seat['id']}"))
    assert one == seat


async def test_amounts_are_json_numbers_with_the_currency_places(api: ApiClient) -> None:
    for code, amount, text in (
        ("USD", 12.5, b'"totalAmount":12.50'),
        ("JPY", 1050, b'"totalAmount":1050'),
        ("BHD", 1.5, b'"totalAmount":1.500'),
    ):
        invoice = await _aira_invoice(api, code)
        body = {"idempotencyKey": f"fee-{code}", "name": "Fee", "amount": amount}
        response = await api.post(f"{BASE}/{invoice['id']}/line-items", json=body)
        assert response.status_code == 200, response.text
        assert text in response.content, code


async def test_unknown_fields_and_bad_input_are_400(api: ApiClient) -> None:
    invoice = await _aira_invoice(api)
    url = f"{BASE}/{invoice['id']}/line-item-groups"
    product = await api.create("/v1/products", {"name": "P"})
    good = {
        "idempotencyKey": "g",
        "productId": product["id"],
        "startDate": "2026-03-01",
        "endDate": "2026-03-31",
    }
    cases = [
        ({**good, "color": "red"}, "color"),
        ({k: v for k, v in good.items() if k != "idempotencyKey"}, "idempotencyKey"),
        ({**good, "idempotencyKey": "no spaces"}, "idempotencyKey"),
        ({**good, "startDate": "2026-02-30"}, "startDate"),
        ({**good, "productId": "not-a-uuid"}, "productId"),
    ]
    for body, field in cases:
        response = await api.post(url, json=body)
        assert response.status_code == 400, body
        error = exact(response)
        conforms(error, "error400")
        assert field in error["details"], error
    lines = f"{BASE}/{invoice['id']}/line-items"
    for raw in (
        b'{"idempotencyKey":"n","name":"x","amount":NaN}',
        b'{"idempotencyKey":"n","name":"x","amount":1e999}',
        b'{"idempotencyKey":"n","name":"x","amount":Infinity}',
        b"[1]",
        b"{",
    ):
        response = await api.post(lines, content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, raw
        conforms(exact(response), "error400")
    assert (await native_invoice(api, invoice["id"]))["lineItemGroups"] == []


async def test_not_found_conflict_and_auth_in_airas_shape(api: ApiClient) -> None:
    invoice = await _aira_invoice(api)
    missing = await api.get(f"{BASE}/00000000-0000-7000-8000-000000000000")
    assert missing.status_code == 404
    conforms(exact(missing), "error404")
    assert set(missing.json()) == {"message", "code", "details", "causations"}
    assert (await api.get(f"{BASE}/not-a-uuid")).status_code == 404
    body = {"idempotencyKey": "same", "name": "Fee", "amount": 5}
    url = f"{BASE}/{invoice['id']}/line-items"
    first = await api.post(url, json=body)
    replay = await api.post(url, json=body)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.content == first.content
    reused = await api.post(url, json={**body, "amount": 6})
    assert reused.status_code == 409
    conforms(exact(reused), "error409")
    assert reused.json()["code"] == "idempotency_key_reused"
    unauthorized = await api.raw.get(f"{BASE}/{invoice['id']}")
    assert unauthorized.status_code == 401
    conforms(exact(unauthorized), "error400")


@pytest.mark.parametrize("usage", ["125", "40"])
async def test_priced_line_reads_as_aira_metric_line(api: ApiClient, usage: str) -> None:
    invoice = await _aira_invoice(api)
    price = {
        "model": "graduated",
        "tiers": [
            {"from": "0", "to": "100", "unitPrice": "1.00", "flatFee": "20"},
            {"from": "100", "to": None, "unitPrice": "0.75", "flatFee": "50"},
        ],
    }
    native = await api.create(
        f"/v1/invoices/{invoice['id']}/line-items", {"name": "Calls", "price": price, "usage": usage}
    )
    line = exact(await api.get(f"{BASE}/{invoice['id']}/line-items/{native['id']}"))
    conforms(line, "lineItem")
    assert line["scope"] == "metric"
    assert line["metadata"] == {
        "type": "metric",
        "billingModel": "in_full",
        "priceTierDivision": "progressive",
    }
    assert line["totalAmount"] == Decimal(native["totalAmount"])
    assert sum(sub["amount"] for sub in line["subLineItems"]) == line["subtotalAmount"]
    assert {sub["type"] for sub in line["subLineItems"]} <= {"price_tier_unit", "price_tier_flat"}


async def test_sub_line_item_kinds_and_the_invoice_minimum_conform(api: ApiClient) -> None:
    invoice = await _aira_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    prices: list[dict[str, Any]] = [
        {"model": "package", "packageSize": "100", "packagePrice": "5"},
        {"model": "basis_points", "basisPoints": "25"},
        {"model": "fixed", "amount": "7.00"},
        {"model": "unit", "unitPrice": "0.10"},
    ]
    await api.create(f"{base}/line-items", {"name": "Package", "price": prices[0], "usage": "250"})
    await api.create(
        f"{base}/line-items", {"name": "Bps", "price": prices[1], "transactions": ["10.00", "20.00"]}
    )
    await api.create(f"{base}/line-items", {"name": "Fixed", "price": prices[2]})
    await api.create(f"{base}/line-items", {"name": "Unit", "price": prices[3], "usage": "3"})
    response = await api.request(
        "PUT", f"{base}/minimum", json={"amount": "100.00", "scope": "contract_minimum_amount"}
    )
    assert response.status_code == 200, response.text
    full = exact(await api.get(f"{BASE}/{invoice['id']}"))
    conforms(full, "invoice")
    native = await native_invoice(api, invoice["id"])
    assert full["totalAmount"] == Decimal(native["totalAmount"]) == Decimal("100.00")
    kinds = {sub["type"] for line in full["standaloneLineItems"] for sub in line["subLineItems"]}
    assert {"price_tier_package", "price_tier_basis_points", "fixed_price", "unit_price"} <= kinds
    [minimum] = [line for line in full["standaloneLineItems"] if line["scope"] == "contract_minimum_amount"]
    assert minimum["metadata"]["minimumAmount"] == Decimal("100.00")
    assert minimum["metadata"]["minimumAmountApplied"] == minimum["subtotalAmount"]
