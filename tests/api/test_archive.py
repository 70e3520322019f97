"""Archived products and prices: hidden from lists by default, refused for new lines and groups (by id or
by name, natively and through Orb), kept by the lines that already use them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import ApiClient, make_invoice, new_api_key


def error_of(response: httpx.Response, status: int, field: str | None = None, code: str | None = None) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    if field is not None:
        assert field in body["details"], body
    if code is not None:
        assert body["code"] == code, body
    return body


async def fetch(api: ApiClient, url: str, **params: object) -> Any:
    response = await api.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def ids(api: ApiClient, url: str, **params: object) -> list[str]:
    return [row["id"] for row in (await fetch(api, url, limit=100, **params))["data"]]


async def archive(api: ApiClient, url: str, action: str = "archive") -> Any:
    response = await api.post(f"{url}/{action}")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer == await fetch(api, url)
    return answer


# -- products ------------------------------------------------------------------------------------------


async def test_archiving_a_product_hides_it_from_the_list_until_unarchived(api: ApiClient) -> None:
    product = await api.create("/v1/products", {"name": "Legacy plan"})
    assert (product["archived"], product["archivedAt"]) == (False, None)
    kept = await api.create("/v1/products", {"name": "Current plan"})
    url = f"/v1/products/{product['id']}"
    archived = await archive(api, url)
    assert archived["archived"] is True
    assert archived["archivedAt"]
    assert await ids(api, "/v1/products") == [kept["id"]]
    assert await ids(api, "/v1/products", archived="true") == [product["id"]]
    again = await archive(api, url)  # archiving twice changes nothing
    assert again["archivedAt"] == archived["archivedAt"]
    unarchived = await archive(api, url, "unarchive")
    assert (unarchived["archived"], unarchived["archivedAt"]) == (False, None)
    assert set(await ids(api, "/v1/products")) == {product["id"], kept["id"]}
    assert await ids(api, "/v1/products", archived="true") == []


async def test_an_archived_product_is_refused_for_new_lines_and_old_lines_keep_it(api: ApiClient) -> None:
    product = await api.create("/v1/products", {"name": "Legacy plan", "defaultUnitPrice": "9.00"})
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}"
    old = await api.create(f"{url}/line-items", {"productId": product["id"], "quantity": "2"})
    await archive(api, f"/v1/products/{product['id']}")
    before = await fetch(api, url)
    products_before = await ids(api, "/v1/products", archived="true")
    attempts: list[tuple[str, dict[str, object], str]] = [
        ("line-items", {"productId": product["id"], "quantity": "1"}, "productId"),
        ("line-items", {"name": "Legacy plan", "amount": "1.00"}, "name"),  # by name: no duplicate made
        ("line-item-groups", {"productId": product["id"]}, "productId"),
        ("line-item-groups", {"name": "Legacy plan"}, "name"),
    ]
    for path, body, field in attempts:
        error_of(await api.post(f"{url}/{path}", json=body), 409, field, "product_archived")
    other_line = await api.create(f"{url}/line-items", {"name": "Other", "amount": "1.00"})
    error_of(
        await api.patch(f"{url}/line-items/{other_line['id']}", json={"productId": product["id"]}),
        409,
        "productId",
        "product_archived",
    )
    assert await ids(api, "/v1/products") == [other_line["productId"]]  # no second "Legacy plan"
    assert await ids(api, "/v1/products", archived="true") == products_before
    # the old line keeps its product, still changes, and the invoice issues with it
    changed = await api.patch(f"{url}/line-items/{old['id']}", json={"quantity": "3"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["productId"], changed.json()["subtotalAmount"]) == (product["id"], "27.00")
    after = await fetch(api, url)
    assert after["subtotalAmount"] == "28.00"
    assert before["subtotalAmount"] == "18.00"
    issued = await api.post(f"{url}/issue", json={"issueDate": "2026-03-20"})
    assert issued.status_code == 200, issued.text
    frozen = await fetch(api, url)
    await archive(api, f"/v1/products/{product['id']}", "unarchive")
    await archive(api, f"/v1/products/{product['id']}")
    assert await fetch(api, url) == frozen  # an issued invoice never changes
    # unarchived, it is usable again (by name, the same product)
    await archive(api, f"/v1/products/{product['id']}", "unarchive")
    again = await make_invoice(api)
    line = await api.create(
        f"/v1/invoices/{again['id']}/line-items", {"name": "Legacy plan", "quantity": "1"}
    )
    assert line["productId"] == product["id"]


async def test_an_invoice_minimum_still_works_when_its_product_is_archived(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}"
    assert (await api.request("PUT", f"{url}/minimum", json={"amount": "10.00"})).status_code == 200
    minimum_product = (await fetch(api, url))["standaloneLineItems"][0]["productId"]
    await archive(api, f"/v1/products/{minimum_product}")
    await api.delete(f"{url}/minimum")
    response = await api.request(
        "PUT", f"{url}/minimum", json={"amount": "12.00"}
    )  # Billfold's own managed line
    assert response.status_code == 200, response.text
    assert response.json()["totalAmount"] == "12.00"


# -- prices ----------------------------------------------------------------------------------------------


async def test_an_archived_price_is_refused_for_new_lines_and_old_lines_keep_it(api: ApiClient) -> None:
    product = await api.create("/v1/products", {"name": "API calls"})
    price = await api.create(
        "/v1/prices", {"productId": product["id"], "currency": "USD", "model": "unit", "unitPrice": "0.50"}
    )
    other = await api.create(
        "/v1/prices", {"productId": product["id"], "currency": "USD", "model": "unit", "unitPrice": "0.40"}
    )
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}"
    old = await api.create(f"{url}/line-items", {"priceId": price["id"], "usage": "10"})
    archived = await archive(api, f"/v1/prices/{price['id']}")
    assert archived["archived"] is True
    assert archived["unitPrice"] == "0.50"
    assert await ids(api, "/v1/prices") == [other["id"]]
    assert await ids(api, "/v1/prices", archived="true", productId=product["id"]) == [price["id"]]
    before = await fetch(api, url)
    error_of(
        await api.post(f"{url}/line-items", json={"priceId": price["id"], "usage": "1"}),
        409,
        "priceId",
        "price_archived",
    )
    assert await fetch(api, url) == before
    repriced = await api.patch(f"{url}/line-items/{old['id']}", json={"usage": "20"})
    assert repriced.status_code == 200, repriced.text
    assert repriced.json()["subtotalAmount"] == "10.00"  # the old line keeps its price
    await archive(api, f"/v1/prices/{price['id']}", "unarchive")
    line = await api.create(f"{url}/line-items", {"priceId": price["id"], "usage": "2"})
    assert line["subtotalAmount"] == "1.00"


async def test_a_price_of_an_archived_product_is_refused(api: ApiClient) -> None:
    product = await api.create("/v1/products", {"name": "API calls"})
    price = await api.create(
        "/v1/prices", {"productId": product["id"], "currency": "USD", "model": "unit", "unitPrice": "0.50"}
    )
    await archive(api, f"/v1/products/{product['id']}")
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}"
    error_of(
        await api.post(f"{url}/line-items", json={"priceId": price["id"], "usage": "1"}),
        409,
        "priceId",
        "product_archived",
    )
    new_price = {"productId": product["id"], "currency": "USD", "model": "unit", "unitPrice": "1"}
    error_of(await api.post("/v1/prices", json=new_price), 409, "productId", "product_archived")
    assert await ids(api, "/v1/prices") == [price["id"]]
    assert (await fetch(api, url))["standaloneLineItems"] == []


# -- tenancy -----------------------------------------------------------------------------------------------


@pytest.fixture
async def other(engine: AsyncEngine, app_client: httpx.AsyncClient) -> ApiClient:
    return ApiClient(app_client, await new_api_key(engine, "Other organization"))


async def test_another_organizations_catalog_answers_404(api: ApiClient, other: ApiClient) -> None:
    product = await api.create("/v1/products", {"name": "Mine"})
    price = await api.create(
        "/v1/prices", {"productId": product["id"], "currency": "USD", "model": "unit", "unitPrice": "1"}
    )
    for url in (f"/v1/products/{product['id']}", f"/v1/prices/{price['id']}"):
        for action in ("archive", "unarchive"):
            error_of(await other.post(f"{url}/{action}"), 404, code="not_found")
        assert (await fetch(api, url))["archived"] is False
    assert await ids(other, "/v1/products", archived="true") == []


# -- vendor dialects -------------------------------------------------------------------------------------


async def test_orb_refuses_an_archived_item_in_its_own_shape(api: ApiClient) -> None:
    item = await api.create("/v1/products", {"name": "Legacy seat"})
    invoice = await make_invoice(api, invoiceDate="2023-09-15")
    await archive(api, f"/v1/products/{item['id']}")
    headers = {"Authorization": f"Bearer {api.key}"}
    base = {"invoice_id": invoice["id"], "start_date": "2023-09-01", "end_date": "2023-09-30", "quantity": 1}
    for extra, field in (({"item_id": item["id"]}, "item_id"), ({"name": "Legacy seat"}, "name")):
        response = await api.raw.post(
            "/orb/v1/invoice_line_items", json={**base, "amount": "5.00", **extra}, headers=headers
        )
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["type"].endswith("#409-resource-conflict")
        assert body["status"] == 409
        assert body["detail"].startswith(f"{field}: ")
        assert "archived" in body["detail"]
    assert (await fetch(api, f"/v1/invoices/{invoice['id']}"))["standaloneLineItems"] == []
    await archive(api, f"/v1/products/{item['id']}", "unarchive")
    response = await api.raw.post(
        "/orb/v1/invoice_line_items", json={**base, "amount": "5.00", "item_id": item["id"]}, headers=headers
    )
    assert response.status_code == 201, response.text


async def test_the_other_vendor_apis_refuse_an_archived_product_in_their_shape(api: ApiClient) -> None:
    product = await api.create("/v1/products", {"name": "Legacy seat"})
    invoice = await make_invoice(api)
    await archive(api, f"/v1/products/{product['id']}")
    attempts: list[tuple[str, dict[str, object], str | None]] = [
        (
            "/aira/v1/invoices/{id}/line-items",
            {"idempotencyKey": "a1", "productId": product["id"], "amount": 5},
            "productId",
        ),
        (
            "/aira/v1/invoices/{id}/line-items",
            {"idempotencyKey": "a2", "name": "Legacy seat", "amount": 5},
            "name",
        ),
        ("/sequence/api/invoices/{id}/line-items", {"title": "Legacy seat", "rate": "5.00"}, "title"),
        ("/alguna/invoices/{id}/line-items", {"description": "Legacy seat", "unitPrice": "5.00"}, None),
    ]
    for url, body, field in attempts:
        response = await api.post(url.format(id=invoice["id"]), json=body)
        assert response.status_code == 409, (url, response.text)
        answer = response.json()
        if field is None:  # Alguna's shape: status and detail only
            assert answer == {"status": 409, "detail": answer["detail"]}
            assert "archived" in answer["detail"]
        else:
            assert answer["code"] == "product_archived"
            assert list(answer["details"]) == [field]
    assert (await fetch(api, f"/v1/invoices/{invoice['id']}"))["standaloneLineItems"] == []
    assert await ids(api, "/v1/products") == []  # no second "Legacy seat"
