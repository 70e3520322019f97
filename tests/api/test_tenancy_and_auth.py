"""API keys, tenant isolation and the error shape of routing errors.

Every /v1 call needs a key (``X-API-KEY`` or ``Authorization: Bearer``); another organization's ids answer
404 and never data; unknown routes, wrong methods and malformed ids answer in the error shape.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.app import create_app
from conftest import ApiClient, new_api_key

ERROR_KEYS = {"code", "message", "details", "causations"}
SECRET = "Secretco"


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
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
    return body


@pytest.fixture
async def other(engine: AsyncEngine, app_client: httpx.AsyncClient) -> ApiClient:
    """A second organization, next to the one behind ``api``."""
    return ApiClient(app_client, await new_api_key(engine, "Other organization"))


@dataclass(frozen=True)
class Tenant:
    customer: str
    payment_account: str
    issuing_account: str
    product: str
    invoice: str
    group: str
    line: str
    price: str
    tax_category: str
    credit: str
    adjustment: str
    api_key: str
    credit_note: str
    credited_invoice: str
    endpoint: str
    event: str

    @property
    def path_ids(self) -> dict[str, str]:
        return {
            "customer_id": self.customer,
            "account_id": self.issuing_account,
            "product_id": self.product,
            "invoice_id": self.invoice,
            "group_id": self.group,
            "line_id": self.line,
            "price_id": self.price,
            "tax_category_id": self.tax_category,
            "adjustment_id": self.adjustment,
            "key_id": self.api_key,
            "credit_note_id": self.credit_note,
            "endpoint_id": self.endpoint,
            "event_id": self.event,
        }


async def populate(api: ApiClient, name: str) -> Tenant:
    """One of everything, with ``name`` in every text so a leak is easy to spot."""
    customer = await api.create(
        "/v1/customers",
        {
            "name": f"{name} customer",
            "externalCustomerId": f"{name}-ext",
            "emails": [f"billing@{name.lower()}.example"],
            "taxId": "11.222.333/0001-81",
            "taxIdType": "cnpj",
        },
    )
    account = await api.create(
        f"/v1/customers/{customer['id']}/payment-accounts", {"tradeName": f"{name} pay"}
    )
    issuing = await api.create("/v1/issuing-accounts", {"tradeName": f"{name} issuer"})
    product = await api.create("/v1/products", {"name": f"{name} product", "defaultUnitPrice": "7.77"})
    invoice = await api.create(
        "/v1/invoices", {"customerId": customer["id"], "invoiceDate": "2026-03-15", "memo": f"{name} memo"}
    )
    base = f"/v1/invoices/{invoice['id']}"
    group = await api.create(f"{base}/line-item-groups", {"name": f"{name} group"})
    line = await api.create(
        f"{base}/line-items",
        {"productId": product["id"], "lineItemGroupId": group["id"], "quantity": "3"},
    )
    price = await api.create(
        "/v1/prices", {"productId": product["id"], "currency": "USD", "model": "unit", "unitPrice": "1.25"}
    )
    tax_category = await api.create(
        "/v1/tax-categories",
        {"name": f"{name} VAT", "rates": [{"rate": "20"}, {"rate": "19", "country": "DE"}]},
    )
    adjusted = await api.create(
        f"{base}/line-items/{line['id']}/adjustments", {"type": "amount_discount", "amount": "1.00"}
    )
    credit = await api.create(
        f"/v1/customers/{customer['id']}/credits", {"amount": "12.34", "reason": f"{name} credit"}
    )
    keys = (await api.get("/v1/api-keys")).json()["data"]
    issued = await api.create("/v1/invoices", {"customerId": customer["id"], "invoiceDate": "2026-03-15"})
    await api.create(f"/v1/invoices/{issued['id']}/line-items", {"name": f"{name} fee", "amount": "5.00"})
    await api.create(f"/v1/invoices/{issued['id']}/issue", {"issueDate": "2026-03-15"}, status=200)
    note = await api.create(
        f"/v1/invoices/{issued['id']}/credit-notes",
        {"reason": "other", "amount": "1.00", "memo": f"{name} note"},
    )
    # disabled: nothing is queued for it (a public address literal passes the URL check offline)
    endpoint = await api.create(
        "/v1/webhook-endpoints",
        {"url": "https://93.184.215.14/hooks", "description": f"{name} hooks", "disabled": True},
    )
    event = (await api.get("/v1/events")).json()["data"][0]
    return Tenant(
        credit_note=str(note["id"]),
        credited_invoice=str(issued["id"]),
        endpoint=str(endpoint["id"]),
        event=str(event["id"]),
        api_key=str(keys[0]["id"]),
        tax_category=str(tax_category["id"]),
        adjustment=str(adjusted["adjustmentDefinitions"][0]["id"]),
        credit=str(credit["id"]),
        price=str(price["id"]),
        customer=str(customer["id"]),
        payment_account=str(account["id"]),
        issuing_account=str(issuing["id"]),
        product=str(product["id"]),
        invoice=str(invoice["id"]),
        group=str(group["id"]),
        line=str(line["id"]),
    )


async def state_of(api: ApiClient, tenant: Tenant) -> dict[str, Any]:
    urls = [
        "/v1/customers?limit=100",
        "/v1/products?limit=100",
        "/v1/invoices?limit=100",
        "/v1/issuing-accounts?limit=100",
        "/v1/prices?limit=100",
        f"/v1/customers/{tenant.customer}/payment-accounts",
        f"/v1/invoices/{tenant.invoice}",
        "/v1/tax-categories?limit=100",
        f"/v1/customers/{tenant.customer}/credits",
        "/v1/organization",
        "/v1/api-keys",
    ]
    state = {}
    for url in urls:
        response = await api.get(url)
        assert response.status_code == 200, response.text
        state[url] = response.json()
    return state


def v1_routes() -> list[tuple[str, str]]:
    """Every (method, path template) of the native API, read from the app's own OpenAPI document."""
    app = create_app(engine=_NoEngine())  # type: ignore[arg-type]
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return [
        (method.upper(), path)
        for path, operations in sorted(paths.items())
        if path.startswith("/v1")
        for method in sorted(operations)
    ]


class _NoEngine:
    """Stands in for an engine when the app is built only to list its routes."""


ROUTES = v1_routes()


def test_the_route_list_covers_the_native_api() -> None:
    methods = {method for method, _ in ROUTES}
    assert {"GET", "POST", "PATCH", "DELETE"} <= methods
    assert ("POST", "/v1/invoices/{invoice_id}/line-items") in ROUTES
    assert len(ROUTES) >= 20


def body_for(method: str, path: str = "") -> dict[str, object] | None:
    """A body that passes validation where one is required, so only the id decides the answer."""
    if method == "PUT" or path.endswith(("/payments", "/credits")):  # a minimum, a payment, a credit grant
        return {"amount": "1.00"}
    if method == "POST" and path.endswith("/credit-notes"):
        return {"reason": "other", "amount": "1.00"}
    if method == "POST" and path.endswith("/adjustments"):
        return {"type": "amount_discount", "amount": "1.00"}
    if method == "POST" and path.endswith("/replay"):
        return {"since": "2026-01-01T00:00:00Z"}
    return {} if method in ("POST", "PATCH") else None


# -- keys ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-key"),
        pytest.param({"X-API-KEY": ""}, id="empty-x-api-key"),
        pytest.param({"X-API-KEY": "   "}, id="blank-x-api-key"),
        pytest.param({"X-API-KEY": "bf_not-a-real-key"}, id="bad-x-api-key"),
        pytest.param({"Authorization": "Bearer bf_not-a-real-key"}, id="bad-bearer"),
        pytest.param({"Authorization": "Bearer "}, id="empty-bearer"),
    ],
)
async def test_every_route_needs_a_valid_key(
    api: ApiClient, app_client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    tenant = await populate(api, SECRET)
    before = await state_of(api, tenant)
    for method, template in ROUTES:
        url = template.format(**tenant.path_ids)
        response = await app_client.request(method, url, headers=headers, json=body_for(method, url))
        body = assert_error(response, 401, code="unauthorized")
        assert SECRET not in response.text
        assert response.headers.get("www-authenticate", "").lower().startswith("bearer"), body
    assert await state_of(api, tenant) == before


@pytest.mark.parametrize(
    "scheme",
    [
        pytest.param("Basic {key}", id="basic"),
        pytest.param("Token {key}", id="token"),
        pytest.param("{key}", id="bare-key"),
        pytest.param("Bearer{key}", id="no-space"),
    ],
)
async def test_a_valid_key_in_the_wrong_scheme_is_refused(
    api: ApiClient, app_client: httpx.AsyncClient, scheme: str
) -> None:
    response = await app_client.get("/v1/customers", headers={"Authorization": scheme.format(key=api.key)})
    assert_error(response, 401, code="unauthorized")


async def test_x_api_key_and_bearer_both_work(api: ApiClient, app_client: httpx.AsyncClient) -> None:
    created = await api.create("/v1/customers", {"name": "Keyed"})
    for headers in (
        {"X-API-KEY": api.key},
        {"Authorization": f"Bearer {api.key}"},
        {"Authorization": f"bearer {api.key}"},
    ):
        response = await app_client.get("/v1/customers", headers=headers)
        assert response.status_code == 200, (headers, response.text)
        assert [row["id"] for row in response.json()["data"]] == [created["id"]]
    made = await app_client.post(
        "/v1/products", json={"name": "Via bearer"}, headers={"Authorization": f"Bearer {api.key}"}
    )
    assert made.status_code == 201, made.text


async def test_a_request_without_a_key_writes_nothing(api: ApiClient, app_client: httpx.AsyncClient) -> None:
    response = await app_client.post("/v1/customers", json={"name": "Sneaky"})
    assert_error(response, 401, code="unauthorized")
    assert (await api.get("/v1/customers")).json()["data"] == []


async def test_the_health_check_needs_no_key(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# -- another organization's ids ----------------------------------------------------------------


async def test_another_organizations_ids_answer_404_on_every_route(api: ApiClient, other: ApiClient) -> None:
    tenant = await populate(api, SECRET)
    before = await state_of(api, tenant)
    for method, template in ROUTES:
        if "{" not in template:
            continue
        url = template.format(**tenant.path_ids)
        body = body_for(method, template)
        if method == "POST" and template.endswith("/line-items"):
            body = {"name": "Intruder", "amount": "1.00"}
        elif method == "PATCH" and template.endswith(
            ("/invoices/{invoice_id}", "/issuing-accounts/{account_id}")
        ):
            body = {"tradeName": "Intruder"} if "issuing" in template else {"memo": "Intruder"}
        elif method == "PATCH" and template.endswith("/webhook-endpoints/{endpoint_id}"):
            body = {"description": "Intruder"}
        elif (method == "POST" and template.endswith("/line-item-groups")) or method == "PATCH":
            body = {"name": "Intruder"}
        response = await other.request(method, url, json=body)
        assert_error(response, 404, code="not_found")
        assert SECRET not in response.text, (method, url, response.text)
        for value in tenant.path_ids.values():
            if value not in url:
                assert value not in response.text, (method, url, response.text)
    assert await state_of(api, tenant) == before


async def test_another_organizations_ids_in_a_body_answer_404(api: ApiClient, other: ApiClient) -> None:
    tenant = await populate(api, SECRET)
    before = await state_of(api, tenant)
    mine = await populate(other, "Mine")
    mine_before = await state_of(other, mine)
    attempts: list[tuple[str, str, dict[str, object], str]] = [
        ("POST", "/v1/invoices", {"customerId": tenant.customer}, "customerId"),
        ("POST", "/v1/invoices", {"externalCustomerId": f"{SECRET}-ext"}, "externalCustomerId"),
        (
            "POST",
            "/v1/invoices",
            {"customerId": mine.customer, "paymentAccountId": tenant.payment_account},
            "paymentAccountId",
        ),
        (
            "POST",
            "/v1/invoices",
            {"customerId": mine.customer, "issuingAccountId": tenant.issuing_account},
            "issuingAccountId",
        ),
        ("POST", f"/v1/invoices/{mine.invoice}/line-items", {"productId": tenant.product}, "productId"),
        (
            "POST",
            f"/v1/invoices/{mine.invoice}/line-items",
            {"name": "x", "amount": "1.00", "lineItemGroupId": tenant.group},
            "lineItemGroupId",
        ),
        (
            "POST",
            f"/v1/invoices/{mine.invoice}/line-items",
            {"productId": mine.product, "quantity": "1", "taxCategoryId": tenant.tax_category},
            "taxCategoryId",
        ),
        (
            "POST",
            f"/v1/invoices/{mine.invoice}/line-items",
            {"name": "Mine product", "amount": "1.00", "taxCategoryId": tenant.tax_category},
            "taxCategoryId",
        ),
        (
            "POST",
            f"/v1/invoices/{mine.invoice}/line-item-groups",
            {"name": "g", "taxCategoryId": tenant.tax_category},
            "taxCategoryId",
        ),
        ("POST", f"/v1/invoices/{mine.invoice}/line-item-groups", {"productId": tenant.product}, "productId"),
        (
            "PATCH",
            f"/v1/invoices/{mine.invoice}/line-items/{mine.line}",
            {"productId": tenant.product},
            "productId",
        ),
    ]
    for adjustments in (
        f"/v1/invoices/{mine.invoice}/adjustments",
        f"/v1/invoices/{mine.invoice}/line-item-groups/{mine.group}/adjustments",
        f"/v1/invoices/{mine.invoice}/line-items/{mine.line}/adjustments",
    ):
        for applies, field in (
            ({"productIds": [tenant.product]}, "appliesTo.productIds[0]"),
            ({"productIds": [mine.product], "priceIds": [tenant.price]}, "appliesTo.priceIds[0]"),
        ):
            discount = {"type": "amount_discount", "amount": "1", "appliesTo": applies}
            attempts.append(("POST", adjustments, discount, field))
    for method, url, body, field in attempts:
        response = await other.request(method, url, json=body)
        error = assert_error(response, 404, code="not_found")
        assert field in error["details"], (url, body, error)
        assert SECRET not in response.text
    assert await state_of(api, tenant) == before
    assert await state_of(other, mine) == mine_before


async def test_mixing_own_and_foreign_ids_in_a_path_answers_404(api: ApiClient, other: ApiClient) -> None:
    tenant = await populate(api, SECRET)
    mine = await populate(other, "Mine")
    mine_before = await state_of(other, mine)
    base = f"/v1/invoices/{mine.invoice}"
    for method, url, body in [
        ("GET", f"{base}/line-items/{tenant.line}", None),
        ("PATCH", f"{base}/line-items/{tenant.line}", {"quantity": "9"}),
        ("DELETE", f"{base}/line-items/{tenant.line}", None),
        ("GET", f"{base}/line-item-groups/{tenant.group}", None),
        ("PATCH", f"{base}/line-item-groups/{tenant.group}", {"name": "x"}),
        ("DELETE", f"{base}/line-item-groups/{tenant.group}", None),
    ]:
        response = await other.request(method, url, json=body)
        assert_error(response, 404, code="not_found")
        assert SECRET not in response.text
    assert await state_of(other, mine) == mine_before


async def test_a_line_or_group_of_another_invoice_answers_404(api: ApiClient) -> None:
    first = await populate(api, "First")
    second = await api.create("/v1/invoices", {"customerId": first.customer, "invoiceDate": "2026-03-15"})
    base = f"/v1/invoices/{second['id']}"
    before = await state_of(api, first)
    for method, url, body in [
        ("GET", f"{base}/line-items/{first.line}", None),
        ("PATCH", f"{base}/line-items/{first.line}", {"quantity": "9"}),
        ("DELETE", f"{base}/line-items/{first.line}", None),
        ("GET", f"{base}/line-item-groups/{first.group}", None),
        ("PATCH", f"{base}/line-item-groups/{first.group}", {"name": "x"}),
        ("DELETE", f"{base}/line-item-groups/{first.group}", None),
        ("POST", f"{base}/line-items", {"name": "x", "amount": "1.00", "lineItemGroupId": first.group}),
    ]:
        assert_error(await api.request(method, url, json=body), 404, code="not_found")
    assert await state_of(api, first) == before
    assert (await api.get(base)).json()["totalAmount"] == "0.00"


async def test_lists_show_only_the_callers_data(api: ApiClient, other: ApiClient) -> None:
    tenant = await populate(api, SECRET)
    mine = await populate(other, "Mine")
    for url in ("/v1/customers", "/v1/products", "/v1/invoices", "/v1/issuing-accounts"):
        response = await other.get(url, params={"limit": 100})
        assert response.status_code == 200
        assert SECRET not in response.text, url
    issuing = (await other.get("/v1/issuing-accounts")).json()["data"]
    assert {row["id"] for row in issuing} >= {mine.issuing_account}
    assert tenant.issuing_account not in {row["id"] for row in issuing}
    assert [row["tradeName"] for row in issuing if row["isDefault"]] == ["Other organization"]
    customers = (await other.get("/v1/customers")).json()["data"]
    assert [row["id"] for row in customers] == [mine.customer]


async def test_a_foreign_cursor_does_not_reveal_data(api: ApiClient, other: ApiClient) -> None:
    tenant = await populate(api, SECRET)
    await populate(other, "Mine")
    response = await other.get("/v1/customers", params={"after": tenant.customer})
    assert response.status_code == 200
    assert SECRET not in response.text


async def test_invoice_list_filtered_by_customer(api: ApiClient, other: ApiClient) -> None:
    tenant = await populate(api, SECRET)
    mine = await populate(other, "Mine")
    second = await other.create("/v1/customers", {"name": "Second"})
    await other.create("/v1/invoices", {"customerId": second["id"]})
    foreign = await other.get("/v1/invoices", params={"customerId": tenant.customer})
    assert foreign.status_code == 200, foreign.text
    assert foreign.json()["data"] == []
    own = (await other.get("/v1/invoices", params={"customerId": mine.customer})).json()["data"]
    assert sorted(row["id"] for row in own) == sorted([mine.invoice, mine.credited_invoice])


async def test_idempotency_keys_belong_to_one_organization(api: ApiClient, other: ApiClient) -> None:
    body = {"name": f"{SECRET} customer", "idempotencyKey": "shared-key"}
    first = await api.post("/v1/customers", json=body)
    assert first.status_code == 201, first.text
    # Same key, same body, another organization: a new customer of its own, not the first one replayed.
    second = await other.post("/v1/customers", json=body)
    assert second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    # A key the first organization used with another body is still free for the second one.
    await api.create("/v1/products", {"name": "P", "idempotencyKey": "product-key"})
    made = await other.post("/v1/products", json={"name": "Q", "idempotencyKey": "product-key"})
    assert made.status_code == 201, made.text
    assert made.json()["name"] == "Q"
    assert [row["name"] for row in (await api.get("/v1/products")).json()["data"]] == ["P"]


# -- routing errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("authenticated", [True, False], ids=["with-key", "without-key"])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/v1/nothing-here"),
        ("POST", "/v1/payments"),
        ("GET", "/nothing"),
        ("GET", "/v1/invoices/{invoice}/nothing"),
        ("DELETE", "/v1/customers/{customer}/payment-accounts/{customer}/x"),
    ],
)
async def test_unknown_route_is_404_in_the_error_shape(
    api: ApiClient, app_client: httpx.AsyncClient, method: str, url: str, authenticated: bool
) -> None:
    ids = {"invoice": str(uuid.uuid4()), "customer": str(uuid.uuid4())}
    headers = {"X-API-KEY": api.key} if authenticated else {}
    response = await app_client.request(
        method, url.format(**ids), headers=headers, json=body_for(method, url)
    )
    assert_error(response, 404, code="not_found")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("DELETE", "/v1/customers"),
        ("PUT", "/v1/customers/{id}"),
        ("PATCH", "/v1/customers"),
        ("DELETE", "/v1/customers/{id}"),
        ("PUT", "/v1/invoices/{id}"),
        ("POST", "/v1/invoices/{id}"),
        ("DELETE", "/v1/invoices/{id}"),
        ("PATCH", "/v1/products/{id}"),
        ("PUT", "/v1/invoices/{id}/line-items/{id}"),
        ("POST", "/v1/invoices/{id}/line-items/{id}"),
    ],
)
async def test_wrong_method_is_405_in_the_error_shape(api: ApiClient, method: str, url: str) -> None:
    response = await api.request(method, url.format(id=uuid.uuid4()), json=body_for(method, url))
    assert_error(response, 405, code="method_not_allowed")
    assert "allow" in response.headers


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/v1/customers/123", None),
        ("GET", "/v1/customers/not-a-uuid/payment-accounts", None),
        ("POST", "/v1/customers/not-a-uuid/payment-accounts", {}),
        ("GET", "/v1/issuing-accounts/xyz", None),
        ("GET", "/v1/products/0000", None),
        ("GET", "/v1/invoices/not-a-uuid", None),
        ("GET", "/v1/invoices/{uuid}-0/line-items", None),
        ("POST", "/v1/invoices/not-a-uuid/line-items", {"name": "x", "amount": "1.00"}),
        ("POST", "/v1/invoices/not-a-uuid/line-items", {"amount": 1.5, "bogus": True}),
        ("POST", "/v1/invoices/not-a-uuid/line-item-groups", {"name": "x"}),
        ("PATCH", "/v1/invoices/{uuid}/line-items/zzz", {"quantity": "1"}),
        ("PATCH", "/v1/invoices/zzz/line-item-groups/{uuid}", {"name": "x"}),
        ("DELETE", "/v1/invoices/{uuid}/line-items/not-a-uuid", None),
        ("DELETE", "/v1/invoices/{uuid}/line-item-groups/not-a-uuid", None),
    ],
)
async def test_malformed_uuid_in_a_path_is_404(
    api: ApiClient, method: str, url: str, body: dict[str, object] | None
) -> None:
    response = await api.request(method, url.format(uuid=uuid.uuid4()), json=body)
    assert_error(response, 404, code="not_found")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/v1/customers/{id}"),
        ("GET", "/v1/customers/{id}/payment-accounts"),
        ("GET", "/v1/issuing-accounts/{id}"),
        ("GET", "/v1/products/{id}"),
        ("GET", "/v1/invoices/{id}"),
        ("GET", "/v1/invoices/{id}/line-items"),
        ("GET", "/v1/invoices/{id}/line-item-groups"),
        ("DELETE", "/v1/invoices/{id}/line-items/{id}"),
    ],
)
async def test_unknown_uuid_is_404_in_the_error_shape(api: ApiClient, method: str, url: str) -> None:
    response = await api.request(method, url.format(id=uuid.uuid4()))
    assert_error(response, 404, code="not_found")


async def test_malformed_uuid_without_a_key_is_401(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/v1/customers/not-a-uuid")
    assert_error(response, 401, code="unauthorized")


async def test_an_unexpected_error_answers_500_in_the_error_shape(engine: AsyncEngine) -> None:
    app = create_app(engine)

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom: internal detail")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://billfold.test") as client:
        response = await client.get("/v1/boom")
    body = assert_error(response, 500, code="internal_error")
    assert "kaboom" not in response.text
    assert body["details"] == {}
