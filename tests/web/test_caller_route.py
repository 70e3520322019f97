"""Adding a line checks the key in the write's own first statement (``presented_caller``), yet answers as
if the key had been checked first: a caller with a key that is not valid gets 401 whatever else is wrong
with its request, and never learns anything about the resource."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db.uow import UnitOfWork
from billfold.services.api_keys import create_api_key
from billfold.services.organizations import authenticate
from conftest import ApiClient, make_invoice, statements_sent

BAD_KEY = {"X-API-KEY": "bf_not-a-real-key"}


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "unauthorized"
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")


async def test_a_bad_key_is_401_before_a_bad_body_path_or_key(
    api: ApiClient, app_client: httpx.AsyncClient
) -> None:
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}/line-items"
    bad_requests: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        (url, {"name": "X", "quantity": "not a number"}, {}),  # the body's validation
        (url, {"name": "X", "unknownField": 1}, {}),
        (url, {"name": "X", "lineItemGroupId": "nope"}, {}),
        (url, {"name": "X"}, {"Idempotency-Key": "not valid!"}),  # the key's format
        ("/v1/invoices/not-a-uuid/line-items", {"name": "X"}, {}),  # the path
        (f"/v1/invoices/{uuid.uuid4()}/line-items", {"name": "X"}, {}),  # no such invoice
        (f"/v1/invoices/{invoice['id']}/line-item-groups", {"name": 5}, {}),
    ]
    for path, body, headers in bad_requests:
        with_key = await api.post(path, json=body, headers=headers)
        assert with_key.status_code in (400, 404), with_key.text
        assert_unauthorized(await app_client.post(path, json=body, headers={**BAD_KEY, **headers}))
        assert_unauthorized(await app_client.post(path, json=body, headers=headers))
    assert (await api.get(url)).json()["data"] == []


async def test_a_revoked_key_cannot_add_a_line(api: ApiClient, engine: AsyncEngine) -> None:
    invoice = await make_invoice(api)
    async with UnitOfWork(engine) as uow:
        actor = await authenticate(uow, api.key)
        second = ApiClient(api.raw, await create_api_key(uow, actor.organization_id, "Second"))
        await uow.commit()
    url = f"/v1/invoices/{invoice['id']}/line-items"
    assert (await second.post(url, json={"name": "A", "amount": "1.00"})).status_code == 201
    listed = (await api.get("/v1/api-keys")).json()["data"]
    (newest,) = [row for row in listed if row["name"] == "Second"]
    assert (await api.delete(f"/v1/api-keys/{newest['id']}")).status_code == 200
    assert_unauthorized(await second.post(url, json={"name": "B", "amount": "1.00"}))
    assert_unauthorized(await second.post(url, json={"name": "C", "amount": "not money"}))
    assert [line["name"] for line in (await api.get(url)).json()["data"]] == ["A"]


async def test_an_add_makes_no_query_of_its_own_to_authenticate(api: ApiClient, engine: AsyncEngine) -> None:
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}/line-items"
    await api.create(url, {"name": "Warm", "amount": "1.00"})
    # (the product "Warm" exists: a line naming a new one is added again locked, reading the key again)
    with statements_sent(engine) as statements:
        await api.create(url, {"name": "Warm", "quantity": "3", "unitPrice": "12.345"})
    assert sum("FROM api_keys" in statement for statement in statements) == 1, statements
