"""Hostile and wrong input to every write endpoint of the native API.

Every case must answer a 4xx in the error shape ``{code, message, details, causations}``, name the field at
fault in ``details``, and write nothing: the customers, products, invoices, issuing accounts, payment
accounts and the full invoice (groups, lines, totals, timestamps) read the same before and after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import ApiClient, make_invoice, new_api_key

LONG = "x" * 5000
ERROR_KEYS = {"code", "message", "details", "causations"}

ENDPOINTS: dict[str, tuple[str, str]] = {
    "customers": ("POST", "/v1/customers"),
    "payment_accounts": ("POST", "/v1/customers/{customer}/payment-accounts"),
    "issuing_accounts": ("POST", "/v1/issuing-accounts"),
    "products": ("POST", "/v1/products"),
    "invoices": ("POST", "/v1/invoices"),
    "groups": ("POST", "/v1/invoices/{invoice}/line-item-groups"),
    "lines": ("POST", "/v1/invoices/{invoice}/line-items"),
    "group_patch": ("PATCH", "/v1/invoices/{invoice}/line-item-groups/{group}"),
    "line_patch": ("PATCH", "/v1/invoices/{invoice}/line-items/{line}"),
}


def assert_error(
    response: httpx.Response, status: int, *fields: str, code: str | None = None
) -> dict[str, Any]:
    """The response is ``status`` in the error shape; each of ``fields`` is named in ``details``.

    A field written ``"a|b"`` is satisfied when either name appears.
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["code"], str)
    assert body["code"]
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["details"], dict)
    assert isinstance(body["causations"], list)
    if code is not None:
        assert body["code"] == code, body
    for field in fields:
        options = field.split("|")
        assert any(option in body["details"] for option in options), (field, body)
    return body


@dataclass(frozen=True)
class World:
    customer: str
    invoice: str
    group: str
    line: str

    def fill(self, text: str) -> str:
        return (
            text.replace("{customer}", self.customer)
            .replace("{invoice}", self.invoice)
            .replace("{group}", self.group)
            .replace("{line}", self.line)
        )


async def build_world(api: ApiClient, currency: str = "USD") -> World:
    """A customer, a draft invoice, a group and a line in it (2 × 5 = 10.00 in USD)."""
    customer = await api.create(
        "/v1/customers", {"name": "Acme", "currency": currency, "externalCustomerId": "acme-1"}
    )
    invoice = await api.create("/v1/invoices", {"customerId": customer["id"], "invoiceDate": "2026-03-15"})
    base = f"/v1/invoices/{invoice['id']}"
    group = await api.create(f"{base}/line-item-groups", {"name": "Seats"})
    line = await api.create(
        f"{base}/line-items",
        {"name": "Seat", "lineItemGroupId": group["id"], "quantity": "2", "unitPrice": "5"},
    )
    return World(str(customer["id"]), str(invoice["id"]), str(group["id"]), str(line["id"]))


INVOICE_STATE = ("/v1/invoices/{invoice}", "/v1/products?limit=100", "/v1/invoices?limit=100")
WRITTEN_BY: dict[str, tuple[str, ...]] = {
    "customers": ("/v1/customers?limit=100", "/v1/products?limit=100"),
    "payment_accounts": ("/v1/customers/{customer}/payment-accounts", "/v1/customers/{customer}"),
    "issuing_accounts": ("/v1/issuing-accounts?limit=100",),
    "products": ("/v1/products?limit=100",),
    "invoices": ("/v1/invoices?limit=100", "/v1/customers?limit=100"),
    "groups": INVOICE_STATE,
    "lines": INVOICE_STATE,
    "group_patch": INVOICE_STATE,
    "line_patch": INVOICE_STATE,
}


async def snapshot(api: ApiClient, world: World, *targets: str) -> dict[str, Any]:
    """What a bad request to ``targets`` could have written, as the API shows it."""
    urls = sorted({world.fill(url) for target in targets or tuple(WRITTEN_BY) for url in WRITTEN_BY[target]})
    state: dict[str, Any] = {}
    for url in urls:
        response = await api.get(url)
        assert response.status_code == 200, response.text
        state[url] = response.json()
    return state


async def send(api: ApiClient, world: World, target: str, body: Any) -> httpx.Response:
    """``body`` is a dict (sent as JSON) or a str/bytes (sent raw as application/json)."""
    method, template = ENDPOINTS[target]
    url = world.fill(template)
    if isinstance(body, bytes):
        return await api.request(method, url, content=body, headers={"Content-Type": "application/json"})
    if isinstance(body, str):
        return await api.request(
            method, url, content=world.fill(body).encode(), headers={"Content-Type": "application/json"}
        )
    return await api.request(method, url, json=json.loads(world.fill(json.dumps(body))))


@dataclass(frozen=True)
class Case:
    name: str
    target: str
    body: Any
    fields: tuple[str, ...]
    status: int = 400

    @property
    def id(self) -> str:
        return f"{self.target}-{self.name}"


def case(target: str, name: str, body: Any, *fields: str, status: int = 400) -> Case:
    return Case(name, target, body, fields, status)


LINE = {"name": "Widget", "quantity": "1"}

LINE_CASES = [
    # JSON numbers, NaN and Infinity for money and quantities
    case("lines", "unit-price-float", {**LINE, "unitPrice": 1.5}, "unitPrice"),
    case("lines", "unit-price-int", {**LINE, "unitPrice": 2}, "unitPrice"),
    case("lines", "quantity-number", {"name": "Widget", "quantity": 1, "unitPrice": "1"}, "quantity"),
    case("lines", "amount-number", {"name": "Widget", "amount": 10}, "amount"),
    case("lines", "unit-price-bool", {**LINE, "unitPrice": True}, "unitPrice"),
    case("lines", "unit-price-list", {**LINE, "unitPrice": ["1"]}, "unitPrice"),
    case("lines", "raw-nan-unit-price", '{"name": "Widget", "unitPrice": NaN}', "unitPrice"),
    case("lines", "raw-infinity-unit-price", '{"name": "Widget", "unitPrice": Infinity}', "unitPrice"),
    case(
        "lines",
        "raw-minus-infinity-qty",
        '{"name": "W", "quantity": -Infinity, "unitPrice": "1"}',
        "quantity",
    ),
    case("lines", "raw-nan-amount", '{"name": "Widget", "amount": NaN}', "amount"),
    case("lines", "raw-huge-exponent", '{"name": "Widget", "unitPrice": 1e999999}', "unitPrice"),
    case("lines", "string-nan", {**LINE, "unitPrice": "NaN"}, "unitPrice"),
    case("lines", "string-snan", {**LINE, "unitPrice": "sNaN"}, "unitPrice"),
    case("lines", "string-infinity", {**LINE, "unitPrice": "Infinity"}, "unitPrice"),
    case("lines", "string-minus-inf", {**LINE, "unitPrice": "-inf"}, "unitPrice"),
    case("lines", "string-nan-amount", {"name": "Widget", "amount": "NaN"}, "amount"),
    case("lines", "string-nan-quantity", {"name": "Widget", "quantity": "nan", "unitPrice": "1"}, "quantity"),
    # exponents and other non-plain decimal text
    case("lines", "exponent-1e5", {**LINE, "unitPrice": "1e5"}, "unitPrice"),
    case("lines", "exponent-1E-12", {**LINE, "unitPrice": "1E-12"}, "unitPrice"),
    case("lines", "exponent-quantity", {"name": "W", "quantity": "1E+3", "unitPrice": "1"}, "quantity"),
    case("lines", "exponent-amount", {"name": "Widget", "amount": "2.5e-3"}, "amount"),
    case("lines", "leading-plus", {**LINE, "unitPrice": "+1.5"}, "unitPrice"),
    case("lines", "trailing-dot", {**LINE, "unitPrice": "1."}, "unitPrice"),
    case("lines", "leading-dot", {**LINE, "unitPrice": ".5"}, "unitPrice"),
    case("lines", "comma-decimal", {**LINE, "unitPrice": "1,5"}, "unitPrice"),
    case("lines", "underscore", {**LINE, "unitPrice": "1_000"}, "unitPrice"),
    case("lines", "hex", {**LINE, "unitPrice": "0x10"}, "unitPrice"),
    case("lines", "empty-string", {**LINE, "unitPrice": ""}, "unitPrice"),
    case("lines", "leading-space", {**LINE, "unitPrice": " 1.5"}, "unitPrice"),
    case("lines", "trailing-newline", {**LINE, "unitPrice": "1.5\n"}, "unitPrice"),
    case("lines", "trailing-newline-amount", {"name": "Widget", "amount": "1.50\n"}, "amount"),
    case("lines", "arabic-digits", {**LINE, "unitPrice": "١٢"}, "unitPrice"),
    # precision and magnitude
    case("lines", "unit-price-13-places", {**LINE, "unitPrice": "0.0000000000001"}, "unitPrice"),
    case(
        "lines",
        "quantity-13-places",
        {"name": "W", "quantity": "1.0000000000001", "unitPrice": "1"},
        "quantity",
    ),
    case("lines", "amount-3-places-usd", {"name": "Widget", "amount": "1.005"}, "amount"),
    case("lines", "amount-13-places", {"name": "Widget", "amount": "1.0000000000001"}, "amount"),
    case("lines", "unit-price-19-digits", {**LINE, "unitPrice": "1234567890123456789"}, "unitPrice"),
    case("lines", "unit-price-neg-19-digits", {**LINE, "unitPrice": "-1234567890123456789.5"}, "unitPrice"),
    case(
        "lines",
        "quantity-19-digits",
        {"name": "W", "quantity": "1234567890123456789", "unitPrice": "1"},
        "quantity",
    ),
    case("lines", "amount-19-digits", {"name": "Widget", "amount": "1234567890123456789.00"}, "amount"),
    case("lines", "unit-price-5000-digits", {**LINE, "unitPrice": "1" * 5000}, "unitPrice"),
    case(
        "lines", "raw-5000-digit-number", '{"name": "W", "unitPrice": ' + "1" * 5000 + "}", "unitPrice|body"
    ),
    case(
        "lines",
        "product-out-of-range",
        {"name": "W", "quantity": "999999999999999999", "unitPrice": "999999999999999999"},
        "quantity",
    ),
    # negative quantities
    case("lines", "negative-quantity", {"name": "W", "quantity": "-1", "unitPrice": "1"}, "quantity"),
    case(
        "lines",
        "negative-tiny-quantity",
        {"name": "W", "quantity": "-0.000000000001", "unitPrice": "1"},
        "quantity",
    ),
    case("lines", "negative-quantity-amount", {"name": "W", "quantity": "-2", "amount": "10.00"}, "quantity"),
    # pricing rules
    case(
        "lines",
        "amount-and-unit-price",
        {"name": "W", "amount": "1.00", "unitPrice": "1"},
        "amount",
        "unitPrice",
    ),
    case("lines", "no-price", {"name": "Widget"}, "unitPrice|amount"),
    case("lines", "zero-quantity-amount", {"name": "W", "quantity": "0", "amount": "5.00"}, "quantity"),
    case("lines", "no-name-no-product", {"quantity": "1", "unitPrice": "1"}, "name|productId"),
    # text, ids, dates and keys
    case("lines", "name-5000", {**LINE, "unitPrice": "1", "name": LONG}, "name"),
    case("lines", "name-empty", {**LINE, "unitPrice": "1", "name": ""}, "name"),
    case("lines", "name-number", {**LINE, "unitPrice": "1", "name": 123}, "name"),
    case("lines", "description-5001", {**LINE, "unitPrice": "1", "description": LONG + "x"}, "description"),
    case(
        "lines", "group-id-not-uuid", {**LINE, "unitPrice": "1", "lineItemGroupId": "nope"}, "lineItemGroupId"
    ),
    case("lines", "product-id-number", {**LINE, "unitPrice": "1", "productId": 7}, "productId"),
    case("lines", "start-date-invalid", {**LINE, "unitPrice": "1", "startDate": "2026-02-30"}, "startDate"),
    case("lines", "end-date-format", {**LINE, "unitPrice": "1", "endDate": "31/03/2026"}, "endDate"),
    case("lines", "end-date-time", {**LINE, "unitPrice": "1", "endDate": "2026-03-31T00:00:00Z"}, "endDate"),
    case("lines", "start-date-digits", {**LINE, "unitPrice": "1", "startDate": "20260301"}, "startDate"),
    case(
        "lines",
        "end-before-start",
        {**LINE, "unitPrice": "1", "startDate": "2026-03-10", "endDate": "2026-03-09"},
        "endDate",
    ),
    case("lines", "end-before-default-start", {**LINE, "unitPrice": "1", "endDate": "2026-02-01"}, "endDate"),
    case(
        "lines",
        "idempotency-key-space",
        {**LINE, "unitPrice": "1", "idempotencyKey": "a b"},
        "idempotencyKey",
    ),
    case(
        "lines",
        "idempotency-key-unicode",
        {**LINE, "unitPrice": "1", "idempotencyKey": "ключ"},
        "idempotencyKey",
    ),
    case(
        "lines",
        "idempotency-key-256",
        {**LINE, "unitPrice": "1", "idempotencyKey": "k" * 256},
        "idempotencyKey",
    ),
    case(
        "lines", "idempotency-key-empty", {**LINE, "unitPrice": "1", "idempotencyKey": ""}, "idempotencyKey"
    ),
    case("lines", "unknown-field", {**LINE, "unitPrice": "1", "color": "red"}, "color"),
    case("lines", "snake-case-field", {"name": "W", "quantity": "1", "unit_price": "1"}, "unit_price"),
    case("lines", "scope-not-settable", {**LINE, "unitPrice": "1", "scope": "usage"}, "scope"),
    # bodies that are not a JSON object
    case("lines", "malformed-json", '{"name": "Widget", "unitPrice": "1.5', "body"),
    case("lines", "trailing-comma", '{"name": "Widget",}', "body"),
    case("lines", "json-array", "[]", "body"),
    case("lines", "json-array-of-object", '[{"name": "Widget", "amount": "1.00"}]', "body"),
    case("lines", "json-string", '"Widget"', "body"),
    case("lines", "json-null", "null", "body"),
    case("lines", "json-number", "42", "body"),
    case("lines", "empty-body", "", "body"),
    case("lines", "invalid-utf8", b'{"name": "\xff\xfe", "amount": "1.00"}', "body"),
    case("lines", "deep-nesting", "[" * 100_000 + "]" * 100_000, "body"),
]

LINE_PATCH_CASES = [
    case("line_patch", "negative-quantity", {"quantity": "-1"}, "quantity"),
    case("line_patch", "null-quantity", {"quantity": None}, "quantity"),
    case("line_patch", "null-name", {"name": None}, "name"),
    case("line_patch", "null-product", {"productId": None}, "productId"),
    case("line_patch", "unit-price-float", {"unitPrice": 1.5}, "unitPrice"),
    case("line_patch", "raw-nan-quantity", '{"quantity": NaN}', "quantity"),
    case("line_patch", "raw-infinity-amount", '{"amount": Infinity}', "amount"),
    case("line_patch", "exponent", {"unitPrice": "1E-12"}, "unitPrice"),
    case("line_patch", "unit-price-13-places", {"unitPrice": "0.1234567890123"}, "unitPrice"),
    case("line_patch", "unit-price-19-digits", {"unitPrice": "9999999999999999999"}, "unitPrice"),
    case("line_patch", "amount-3-places-usd", {"amount": "1.001"}, "amount"),
    case("line_patch", "amount-and-unit-price", {"amount": "3.00", "unitPrice": "7"}, "amount", "unitPrice"),
    case(
        "line_patch",
        "product-out-of-range",
        {"quantity": "999999999999999999", "unitPrice": "999999999999999999"},
        "quantity",
    ),
    case("line_patch", "end-before-start", {"endDate": "2026-02-01"}, "endDate"),
    case("line_patch", "start-after-end", {"startDate": "2026-04-01"}, "endDate|startDate"),
    case("line_patch", "name-5000", {"name": LONG}, "name"),
    case("line_patch", "move-to-group", {"lineItemGroupId": "{group}"}, "lineItemGroupId"),
    case("line_patch", "unknown-field", {"discount": "10"}, "discount"),
    case("line_patch", "idempotency-key", {"idempotencyKey": "abc"}, "idempotencyKey"),
    case("line_patch", "malformed-json", '{"quantity": ', "body"),
    case("line_patch", "json-array", '[{"quantity": "3"}]', "body"),
    case("line_patch", "empty-body", "", "body"),
]

GROUP_CASES = [
    case(
        "groups",
        "end-before-start",
        {"name": "G", "startDate": "2026-03-10", "endDate": "2026-03-01"},
        "endDate",
    ),
    case("groups", "end-before-default-start", {"name": "G", "endDate": "2026-02-28"}, "endDate"),
    case("groups", "start-date-invalid", {"name": "G", "startDate": "2026-13-01"}, "startDate"),
    case("groups", "start-date-number", {"name": "G", "startDate": 20260301}, "startDate"),
    case("groups", "name-5000", {"name": LONG}, "name"),
    case("groups", "name-empty", {"name": ""}, "name"),
    case("groups", "no-name-no-product", {}, "name|productId"),
    case("groups", "product-id-not-uuid", {"productId": "widget"}, "productId"),
    case("groups", "description-5001", {"name": "G", "description": LONG + "x"}, "description"),
    case("groups", "unknown-field-amount", {"name": "G", "amount": "1.00"}, "amount"),
    case("groups", "unknown-field-lines", {"name": "G", "lineItems": []}, "lineItems"),
    case("groups", "idempotency-key-slash", {"name": "G", "idempotencyKey": "a/b"}, "idempotencyKey"),
    case("groups", "raw-nan-name", '{"name": NaN}', "name"),
    case("groups", "malformed-json", "{name: 'G'}", "body"),
    case("groups", "json-array", '[{"name": "G"}]', "body"),
    case("groups", "empty-body", "", "body"),
]

GROUP_PATCH_CASES = [
    case("group_patch", "null-name", {"name": None}, "name"),
    case("group_patch", "null-start-date", {"startDate": None}, "startDate"),
    case("group_patch", "null-end-date", {"endDate": None}, "endDate"),
    case("group_patch", "end-before-start", {"endDate": "2026-02-01"}, "endDate"),
    case(
        "group_patch", "both-dates-reversed", {"startDate": "2026-03-20", "endDate": "2026-03-10"}, "endDate"
    ),
    case("group_patch", "name-5000", {"name": LONG}, "name"),
    case("group_patch", "date-format", {"startDate": "March 1st"}, "startDate"),
    case("group_patch", "unknown-field", {"productName": "x"}, "productName"),
    case("group_patch", "amount-not-patchable", {"totalAmount": "0.00"}, "totalAmount"),
    case("group_patch", "raw-nan", '{"name": NaN}', "name"),
    case("group_patch", "malformed-json", '{"name": "x"', "body"),
    case("group_patch", "json-array", "[]", "body"),
    case("group_patch", "empty-body", "", "body"),
]

INVOICE = {"customerId": "{customer}", "invoiceDate": "2026-03-15"}

INVOICE_CASES = [
    case(
        "invoices",
        "both-customer-ids",
        {**INVOICE, "externalCustomerId": "acme-1"},
        "customerId",
        "externalCustomerId",
    ),
    case(
        "invoices", "neither-customer-id", {"invoiceDate": "2026-03-15"}, "customerId", "externalCustomerId"
    ),
    case("invoices", "external-id-space", {"externalCustomerId": "acme 1"}, "externalCustomerId"),
    case("invoices", "external-id-slash", {"externalCustomerId": "acme/1"}, "externalCustomerId"),
    case("invoices", "external-id-unicode", {"externalCustomerId": "acmé"}, "externalCustomerId"),
    case("invoices", "external-id-empty", {"externalCustomerId": ""}, "externalCustomerId"),
    case("invoices", "external-id-256", {"externalCustomerId": "a" * 256}, "externalCustomerId"),
    case("invoices", "customer-id-not-uuid", {"customerId": "acme-1"}, "customerId"),
    case("invoices", "customer-id-number", {"customerId": 42}, "customerId"),
    case("invoices", "currency-lowercase", {**INVOICE, "currency": "usd"}, "currency"),
    case("invoices", "currency-no-minor-unit", {**INVOICE, "currency": "XXX"}, "currency"),
    case("invoices", "currency-unknown", {**INVOICE, "currency": "ABC"}, "currency"),
    case("invoices", "currency-two-letters", {**INVOICE, "currency": "US"}, "currency"),
    case("invoices", "currency-number", {**INVOICE, "currency": 840}, "currency"),
    case("invoices", "invoice-date-invalid", {**INVOICE, "invoiceDate": "2026-02-30"}, "invoiceDate"),
    case("invoices", "invoice-date-time", {**INVOICE, "invoiceDate": "2026-03-01T00:00:00Z"}, "invoiceDate"),
    case("invoices", "invoice-date-format", {**INVOICE, "invoiceDate": "15/03/2026"}, "invoiceDate"),
    case("invoices", "invoice-date-number", {**INVOICE, "invoiceDate": 0}, "invoiceDate"),
    case(
        "invoices",
        "period-end-before-start",
        {**INVOICE, "periodStart": "2026-03-10", "periodEnd": "2026-03-01"},
        "periodEnd",
    ),
    case("invoices", "period-start-after-default-end", {**INVOICE, "periodStart": "2026-04-10"}, "periodEnd"),
    case("invoices", "memo-5001", {**INVOICE, "memo": LONG + "x"}, "memo"),
    case("invoices", "auto-issue-word", {**INVOICE, "autoIssue": "maybe"}, "autoIssue"),
    case("invoices", "auto-issue-yes", {**INVOICE, "autoIssue": "yes"}, "autoIssue"),
    case(
        "invoices", "payment-account-not-uuid", {**INVOICE, "paymentAccountId": "default"}, "paymentAccountId"
    ),
    case("invoices", "idempotency-key-space", {**INVOICE, "idempotencyKey": "inv 1"}, "idempotencyKey"),
    case("invoices", "idempotency-key-256", {**INVOICE, "idempotencyKey": "k" * 256}, "idempotencyKey"),
    case("invoices", "unknown-field-status", {**INVOICE, "status": "paid"}, "status"),
    case("invoices", "unknown-field-total", {**INVOICE, "totalAmount": "100.00"}, "totalAmount"),
    case("invoices", "raw-nan-memo", '{"customerId": "{customer}", "memo": NaN}', "memo"),
    case("invoices", "malformed-json", '{"customerId": "{customer}"', "body"),
    case("invoices", "json-array", '[{"customerId": "{customer}"}]', "body"),
    case("invoices", "empty-body", "", "body"),
]

CUSTOMER_CASES = [
    case("customers", "name-missing", {"currency": "USD"}, "name"),
    case("customers", "name-5000", {"name": LONG}, "name"),
    case("customers", "name-empty", {"name": ""}, "name"),
    case("customers", "name-number", {"name": 123}, "name"),
    case("customers", "name-null", {"name": None}, "name"),
    case("customers", "currency-lowercase", {"name": "A", "currency": "usd"}, "currency"),
    case("customers", "currency-no-minor-unit", {"name": "A", "currency": "XXX"}, "currency"),
    case("customers", "currency-gold", {"name": "A", "currency": "XAU"}, "currency"),
    case("customers", "currency-unknown", {"name": "A", "currency": "ABC"}, "currency"),
    case("customers", "currency-four-letters", {"name": "A", "currency": "USDX"}, "currency"),
    case("customers", "currency-number", {"name": "A", "currency": 840}, "currency"),
    case(
        "customers",
        "external-id-space",
        {"name": "A", "externalCustomerId": "has space"},
        "externalCustomerId",
    ),
    case("customers", "external-id-dot", {"name": "A", "externalCustomerId": "a.b"}, "externalCustomerId"),
    case(
        "customers", "external-id-newline", {"name": "A", "externalCustomerId": "ab\n"}, "externalCustomerId"
    ),
    case("customers", "external-id-empty", {"name": "A", "externalCustomerId": ""}, "externalCustomerId"),
    case(
        "customers", "external-id-256", {"name": "A", "externalCustomerId": "e" * 256}, "externalCustomerId"
    ),
    case("customers", "emails-not-list", {"name": "A", "emails": "a@b.co"}, "emails"),
    case("customers", "emails-bad-first", {"name": "A", "emails": ["not-an-email"]}, "emails[0]"),
    case("customers", "emails-bad-second", {"name": "A", "emails": ["ok@b.co", "bad@"]}, "emails[1]"),
    case("customers", "emails-number", {"name": "A", "emails": [123]}, "emails[0]"),
    case("customers", "emails-newline", {"name": "A", "emails": ["a@b.co\n"]}, "emails[0]"),
    case(
        "customers", "emails-too-many", {"name": "A", "emails": [f"u{i}@b.co" for i in range(21)]}, "emails"
    ),
    case("customers", "emails-too-long", {"name": "A", "emails": ["a" * 250 + "@b.co"]}, "emails[0]"),
    case(
        "customers",
        "tax-id-bad-cnpj",
        {"name": "A", "taxId": "11.222.333/0001-82", "taxIdType": "cnpj"},
        "taxId",
    ),
    case(
        "customers", "tax-id-bad-cpf", {"name": "A", "taxId": "390.533.447-06", "taxIdType": "cpf"}, "taxId"
    ),
    case(
        "customers",
        "tax-id-bad-eu-vat",
        {"name": "A", "taxId": "FR 61 954 506 078", "taxIdType": "eu_vat"},
        "taxId",
    ),
    case("customers", "tax-id-type-upper", {"name": "A", "taxId": "1", "taxIdType": "BR_CNPJ"}, "taxIdType"),
    case("customers", "tax-id-65", {"name": "A", "taxId": "1" * 65}, "taxId"),
    case("customers", "address-string", {"name": "A", "address": "Main St 1"}, "address"),
    case(
        "customers",
        "address-country-unknown",
        {"name": "A", "address": {"country": "Narnia"}},
        "address.country",
    ),
    case("customers", "address-country-code", {"name": "A", "address": {"country": "ZZ"}}, "address.country"),
    case("customers", "address-country-number", {"name": "A", "address": {"country": 76}}, "address.country"),
    case(
        "customers",
        "address-state-not-in-country",
        {"name": "A", "address": {"state": "ZZ", "country": "BR"}},
        "address.state",
    ),
    case("customers", "address-state-no-country", {"name": "A", "address": {"state": "AC"}}, "address.state"),
    case("customers", "address-zip-21", {"name": "A", "address": {"zipCode": "1" * 21}}, "address.zipCode"),
    case("customers", "address-city-5000", {"name": "A", "address": {"city": LONG}}, "address.city"),
    case(
        "customers", "address-unknown-field", {"name": "A", "address": {"planet": "Mars"}}, "address.planet"
    ),
    case("customers", "unknown-field", {"name": "A", "phone": "123"}, "phone"),
    case("customers", "idempotency-key-space", {"name": "A", "idempotencyKey": "a b"}, "idempotencyKey"),
    case("customers", "raw-nan-name", '{"name": NaN}', "name"),
    case("customers", "raw-infinity-currency", '{"name": "A", "currency": Infinity}', "currency"),
    case("customers", "malformed-json", '{"name": "A"', "body"),
    case("customers", "json-array", '[{"name": "A"}]', "body"),
    case("customers", "empty-body", "", "body"),
]

ACCOUNT_CASES = [
    case(target, name, body, *fields)
    for target in ("payment_accounts", "issuing_accounts")
    for name, body, fields in [
        ("emails-bad", {"emails": ["nope"]}, ("emails[0]",)),
        ("tax-id-bad-cpf", {"taxId": "390.533.447-06", "taxIdType": "cpf"}, ("taxId",)),
        ("tax-id-bad-eu-vat", {"taxId": "DE000000000", "taxIdType": "eu_vat"}, ("taxId",)),
        ("country-unknown", {"address": {"country": "Atlantis"}}, ("address.country",)),
        ("state-not-in-country", {"address": {"state": "ZZ", "country": "BR"}}, ("address.state",)),
        ("trade-name-5000", {"tradeName": LONG}, ("tradeName",)),
        ("name-unknown", {"name": "Acme billing"}, ("name",)),
        ("currency-unknown-field", {"currency": "USD"}, ("currency",)),
        ("idempotency-key-bad", {"idempotencyKey": "a*b"}, ("idempotencyKey",)),
        ("raw-nan", '{"tradeName": NaN}', ("tradeName",)),
        ("json-array", "[]", ("body",)),
        ("malformed-json", "{", ("body",)),
    ]
]

PRODUCT = {"name": "Catalog item"}

PRODUCT_CASES = [
    case("products", "price-float", {**PRODUCT, "defaultUnitPrice": 1.5}, "defaultUnitPrice"),
    case(
        "products", "raw-nan-price", '{"name": "Catalog item", "defaultUnitPrice": NaN}', "defaultUnitPrice"
    ),
    case(
        "products",
        "raw-infinity-price",
        '{"name": "Catalog item", "defaultUnitPrice": Infinity}',
        "defaultUnitPrice",
    ),
    case("products", "string-infinity", {**PRODUCT, "defaultUnitPrice": "Infinity"}, "defaultUnitPrice"),
    case("products", "exponent", {**PRODUCT, "defaultUnitPrice": "1e5"}, "defaultUnitPrice"),
    case("products", "13-places", {**PRODUCT, "defaultUnitPrice": "0.0000000000001"}, "defaultUnitPrice"),
    case("products", "19-digits", {**PRODUCT, "defaultUnitPrice": "1234567890123456789"}, "defaultUnitPrice"),
    case("products", "trailing-newline", {**PRODUCT, "defaultUnitPrice": "9.99\n"}, "defaultUnitPrice"),
    case("products", "name-missing", {"defaultUnitPrice": "1"}, "name"),
    case("products", "name-5000", {"name": LONG}, "name"),
    case("products", "description-5001", {**PRODUCT, "description": LONG + "x"}, "description"),
    case("products", "tax-category-201", {**PRODUCT, "taxCategory": "c" * 201}, "taxCategory"),
    case("products", "unknown-field", {**PRODUCT, "price": "1"}, "price"),
    case("products", "idempotency-key-bad", {**PRODUCT, "idempotencyKey": "p#1"}, "idempotencyKey"),
    case("products", "json-array", '[{"name": "Catalog item"}]', "body"),
    case("products", "empty-body", "", "body"),
]

CASES = (
    LINE_CASES
    + LINE_PATCH_CASES
    + GROUP_CASES
    + GROUP_PATCH_CASES
    + INVOICE_CASES
    + CUSTOMER_CASES
    + ACCOUNT_CASES
    + PRODUCT_CASES
)


@pytest.fixture(scope="module")
async def shared(engine: AsyncEngine, app_client: httpx.AsyncClient) -> tuple[ApiClient, World]:
    """One organization and world for the whole matrix (per database): each case compares its own
    before and after, so the cases stay independent while the matrix stays fast."""
    api = ApiClient(app_client, await new_api_key(engine, "Validation matrix"))
    return api, await build_world(api)


@pytest.mark.parametrize("bad", CASES, ids=lambda c: c.id)
async def test_bad_input_is_refused_and_writes_nothing(shared: tuple[ApiClient, World], bad: Case) -> None:
    api, world = shared
    before = await snapshot(api, world, bad.target)
    response = await send(api, world, bad.target, bad.body)
    assert_error(response, bad.status, *bad.fields, code="validation_error")
    assert await snapshot(api, world, bad.target) == before


# -- amounts in the currency's minor unit --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "amount"),
    [
        ("USD", "1.005"),
        ("USD", "0.001"),
        ("USD", "-0.001"),
        ("JPY", "1.5"),
        ("JPY", "100.0"),
        ("JPY", "-3.5"),
        ("BHD", "1.0005"),
        ("IQD", "0.0001"),
    ],
)
async def test_amount_with_more_places_than_the_currency_is_refused(
    api: ApiClient, code: str, amount: str
) -> None:
    world = await build_world(api, currency=code)
    before = await snapshot(api, world)
    response = await send(api, world, "lines", {"name": "Fee", "amount": amount})
    assert_error(response, 400, "amount", code="validation_error")
    patched = await send(api, world, "line_patch", {"amount": amount})
    assert_error(patched, 400, "amount", code="validation_error")
    assert await snapshot(api, world) == before


@pytest.mark.parametrize(
    ("code", "amount", "shown"),
    [("USD", "1.5", "1.50"), ("JPY", "15", "15"), ("BHD", "1.005", "1.005"), ("IQD", "-0.125", "-0.125")],
)
async def test_amount_within_the_currency_places_is_taken(
    api: ApiClient, code: str, amount: str, shown: str
) -> None:
    invoice = await make_invoice(api, currency=code)
    line = await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Fee", "amount": amount})
    assert line["totalAmount"] == shown


async def test_unit_price_keeps_twelve_places_in_any_currency(api: ApiClient) -> None:
    invoice = await make_invoice(api, currency="JPY")
    line = await api.create(
        f"/v1/invoices/{invoice['id']}/line-items",
        {"name": "Call", "quantity": "1000", "unitPrice": "0.123456789012"},
    )
    assert line["unitPrice"] == "0.123456789012"
    assert line["totalAmount"] == "123"


# -- the Idempotency-Key header ----------------------------------------------------------------


async def test_bad_idempotency_key_header_is_refused(api: ApiClient) -> None:
    world = await build_world(api)
    before = await snapshot(api, world)
    url = f"/v1/invoices/{world.invoice}/line-items"
    body = {"name": "Fee", "amount": "1.00"}
    for header in ("has space", "k" * 256, "semi;colon"):
        response = await api.post(url, json=body, headers={"Idempotency-Key": header})
        assert_error(response, 400, "idempotencyKey", code="validation_error")
    response = await api.post(url, json={**body, "idempotencyKey": "one"}, headers={"Idempotency-Key": "two"})
    assert_error(response, 400, "idempotencyKey", code="validation_error")
    assert await snapshot(api, world) == before


# -- a failed validation does not consume the idempotency key ------------------------------------


async def test_schema_failure_does_not_consume_the_key(api: ApiClient) -> None:
    bad = await api.post("/v1/customers", json={"idempotencyKey": "cust-1", "name": "A", "currency": 978})
    assert_error(bad, 400, "currency")
    good = await api.post("/v1/customers", json={"idempotencyKey": "cust-1", "name": "A"})
    assert good.status_code == 201, good.text
    assert "idempotent-replayed" not in good.headers
    again = await api.post("/v1/customers", json={"idempotencyKey": "cust-1", "name": "A"})
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == good.json()
    listed = (await api.get("/v1/customers")).json()["data"]
    assert [row["id"] for row in listed] == [good.json()["id"]]


async def test_service_failure_does_not_consume_the_key(api: ApiClient) -> None:
    for bad_body in (
        {"idempotencyKey": "cust-2", "name": "A", "currency": "XXX"},
        {"idempotencyKey": "cust-2", "name": "A", "address": {"country": "Narnia"}},
        {"idempotencyKey": "cust-2", "name": "A", "taxId": "1", "taxIdType": "cpf"},
    ):
        assert_error(await api.post("/v1/customers", json=bad_body), 400)
    good = await api.post("/v1/customers", json={"idempotencyKey": "cust-2", "name": "A", "currency": "EUR"})
    assert good.status_code == 201, good.text
    assert good.json()["currency"] == "EUR"


async def test_failed_line_does_not_consume_the_key_nor_create_its_product(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}/line-items"
    # Passes the schema, fails in the service after the product "Setup" would have been created by name.
    bad = await api.post(url, json={"idempotencyKey": "line-1", "name": "Setup", "amount": "1.001"})
    assert_error(bad, 400, "amount")
    assert (await api.get("/v1/products")).json()["data"] == []
    bad = await api.post(url, json={"idempotencyKey": "line-1", "name": "Setup", "amount": 1})
    assert_error(bad, 400, "amount")
    good = await api.post(url, json={"idempotencyKey": "line-1", "name": "Setup", "amount": "1.00"})
    assert good.status_code == 201, good.text
    replay = await api.post(url, json={"idempotencyKey": "line-1", "name": "Setup", "amount": "1.00"})
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == good.json()
    full = (await api.get(f"/v1/invoices/{invoice['id']}")).json()
    assert full["totalAmount"] == "1.00"
    assert [line["id"] for line in full["standaloneLineItems"]] == [good.json()["id"]]
    assert [p["name"] for p in (await api.get("/v1/products")).json()["data"]] == ["Setup"]


async def test_header_key_is_not_consumed_by_a_failure(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}/line-item-groups"
    headers = {"Idempotency-Key": "group-1"}
    bad = await api.post(url, json={"name": "G", "endDate": "2026-01-01"}, headers=headers)
    assert_error(bad, 400, "endDate")
    good = await api.post(url, json={"name": "G"}, headers=headers)
    assert good.status_code == 201, good.text
    assert good.json()["idempotencyKey"] == "group-1"
    reused = await api.post(url, json={"name": "Other"}, headers=headers)
    assert_error(reused, 409, "idempotencyKey", code="idempotency_key_reused")


async def test_invoice_key_survives_a_failure(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Acme", "externalCustomerId": "acme"})
    both = {"idempotencyKey": "inv-1", "customerId": customer["id"], "externalCustomerId": "acme"}
    assert_error(await api.post("/v1/invoices", json=both), 400, "customerId", "externalCustomerId")
    good = await api.post("/v1/invoices", json={"idempotencyKey": "inv-1", "externalCustomerId": "acme"})
    assert good.status_code == 201, good.text
    assert good.json()["customerId"] == customer["id"]
    assert len((await api.get("/v1/invoices")).json()["data"]) == 1


async def test_every_400_lists_its_fields_as_causations_too(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    for body in (
        {"name": "Fee", "amount": "5.001"},  # too many decimals
        {"name": "Fee", "amount": "5.00", "unitPrice": "1"},  # both amount and unitPrice
    ):
        response = await api.post(f"/v1/invoices/{invoice['id']}/line-items", json=body)
        assert response.status_code == 400, response.text
        answer = response.json()
        named = {c["field"]: c["message"] for c in answer["causations"]}
        assert named == {k: v for k, v in answer["details"].items() if not k.startswith("_")}
        assert named
    unknown = await api.post("/v1/customers", json={"name": "X", "currency": "ZZZ"})
    assert unknown.status_code == 400
    assert [c["field"] for c in unknown.json()["causations"]] == ["currency"]


async def test_a_text_too_long_or_empty_is_counted_in_characters(api: ApiClient) -> None:
    """Texts checked by their own validator first (names, emails, descriptions) are counted as text,
    not as pydantic's "items"; a list's limit still counts its items."""
    cases = [
        ("/v1/customers", {"name": "x" * 201}, "name", "must have at most 200 characters (this one has 201)"),
        ("/v1/customers", {"name": ""}, "name", "must have at least 1 character"),
        (
            "/v1/customers",
            {"name": "A", "emails": [f"{'a' * 250}@x.com"]},
            "emails[0]",
            "must have at most 254 characters (this one has 256)",
        ),
        (
            "/v1/products",
            {"name": "P", "description": "d" * 5001},
            "description",
            "must have at most 5000 characters (this one has 5001)",
        ),
    ]
    for path, body, field, reason in cases:
        response = await api.post(path, json=body)
        assert response.status_code == 400, response.text
        assert response.json()["details"] == {field: reason}
    many = await api.post("/v1/customers", json={"name": "A", "emails": ["a@b.co"] * 21})
    assert "20 items" in many.json()["details"]["emails"]


async def test_a_query_parameter_the_route_does_not_take_is_refused(api: ApiClient) -> None:
    """``?custmerId=`` would otherwise list every invoice: each route takes the parameters it declares,
    a 400 names any other (after the key is checked: a bad key is still a 401); the hosted pages take
    what links add to them."""
    invoice = await make_invoice(api)
    customer = invoice["customerId"]
    assert (await api.get("/v1/invoices", params={"customerId": customer, "limit": 1})).status_code == 200
    for path, params, unknown in (
        ("/v1/invoices", {"custmerId": customer}, {"custmerId"}),
        ("/v1/customers", {"status": "bogus", "limit": "2"}, {"status"}),
        (f"/v1/invoices/{invoice['id']}/events", {"limit": "abc"}, {"limit"}),  # an unpaged list
        ("/v1/tax-categories", {"limit": "abc"}, {"limit"}),  # a paged one: a bad value, named
        (f"/v1/invoices/{invoice['id']}", {"expand": "lines", "x": "1"}, {"expand", "x"}),
    ):
        response = await api.get(path, params=params)
        assert response.status_code == 400, (path, response.text)
        details = response.json()["details"]
        assert set(details) == unknown
        if path != "/v1/tax-categories":
            assert all(reason.startswith("unknown query parameter") for reason in details.values())
    stranger = await api.raw.get("/v1/invoices?custmerId=x", headers={"X-API-KEY": "bf_not_a_key"})
    assert stranger.status_code == 401
    twice = await api.get("/v1/invoices?limit=2&limit=3&status=draft&status=paid&custmerId=x")
    assert twice.status_code == 400, twice.text
    assert twice.json()["details"]["limit"] == "given more than once; give it once"
    assert set(twice.json()["details"]) == {"limit", "status", "custmerId"}
    assert "repeated query parameter: limit, status" in twice.json()["message"]
    issued = await api.post(f"/v1/invoices/{invoice['id']}/issue", json={})
    assert issued.status_code == 200, issued.text
    page = await api.raw.get(issued.json()["hostedInvoiceUrl"], params={"utm_source": "mail"})
    assert page.status_code == 200
