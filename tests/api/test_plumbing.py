"""Idempotent creates and concurrency: replays, reused keys, races on one key, concurrent line adds."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from conftest import ApiClient, make_invoice


async def test_replay_returns_the_same_status_and_body(api: ApiClient) -> None:
    body = {"name": "Replay Inc", "idempotencyKey": "cust-1"}
    first = await api.post("/v1/customers", json=body)
    second = await api.post("/v1/customers", json=dict(reversed(list(body.items()))))
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len((await api.get("/v1/customers")).json()["data"]) == 1


async def test_same_key_other_body_is_409(api: ApiClient) -> None:
    await api.create("/v1/customers", {"name": "A", "idempotencyKey": "k1"})
    reused = await api.post("/v1/customers", json={"name": "B", "idempotencyKey": "k1"})
    assert reused.status_code == 409
    assert reused.json()["code"] == "idempotency_key_reused"
    assert "idempotencyKey" in reused.json()["details"]


async def test_header_key_works_and_must_agree_with_body(api: ApiClient) -> None:
    headers = {"Idempotency-Key": "hdr-1"}
    first = await api.post("/v1/products", json={"name": "P"}, headers=headers)
    again = await api.post("/v1/products", json={"name": "P"}, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["idempotencyKey"] == "hdr-1"
    clash = await api.post("/v1/products", json={"name": "Q", "idempotencyKey": "other"}, headers=headers)
    assert clash.status_code == 400
    assert "idempotencyKey" in clash.json()["details"]


async def test_generated_key_when_absent(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "No key"})
    assert customer["idempotencyKey"]


async def test_line_item_keys_are_scoped_to_the_invoice(api: ApiClient) -> None:
    one = await make_invoice(api)
    two = await make_invoice(api)
    body = {"name": "Fee", "amount": "5.00", "idempotencyKey": "line-1"}
    a = await api.create(f"/v1/invoices/{one['id']}/line-items", body)
    b = await api.create(f"/v1/invoices/{two['id']}/line-items", body)
    assert a["id"] != b["id"]
    replay = await api.post(f"/v1/invoices/{one['id']}/line-items", json=body)
    assert replay.status_code == 201
    assert replay.json()["id"] == a["id"]
    assert (await api.get(f"/v1/invoices/{one['id']}")).json()["totalAmount"] == "5.00"


async def test_failed_validation_does_not_consume_the_key(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}/line-items"
    bad = await api.post(url, json={"name": "Fee", "amount": "5.001", "idempotencyKey": "retry-me"})
    assert bad.status_code == 400
    good = await api.post(url, json={"name": "Fee", "amount": "5.00", "idempotencyKey": "retry-me"})
    assert good.status_code == 201


async def test_concurrent_identical_creates_make_one_resource(api: ApiClient) -> None:
    body = {"name": "Racer", "externalCustomerId": "racer-1", "idempotencyKey": "race-1"}
    responses = await asyncio.gather(*(api.post("/v1/customers", json=body) for _ in range(50)))
    assert {r.status_code for r in responses} <= {201, 409}
    created = [r for r in responses if r.status_code == 201]
    assert created, [r.text for r in responses]
    assert len({r.json()["id"] for r in created}) == 1
    assert all(r.json() == created[0].json() for r in created)
    assert len((await api.get("/v1/customers")).json()["data"]) == 1


async def test_concurrent_line_adds_lose_no_update(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    group = await api.create(f"{base}/line-item-groups", {"name": "Concurrent"})

    async def add(index: int) -> int:
        body = {"name": f"Line {index % 3}", "quantity": str(index + 1), "unitPrice": "0.333"}
        if index % 2:
            body["lineItemGroupId"] = group["id"]
        response = await api.post(f"{base}/line-items", json=body)
        assert response.status_code == 201, response.text
        return 0

    await asyncio.gather(*(add(i) for i in range(200)))
    full = (await api.get(base)).json()
    lines = full["standaloneLineItems"] + full["lineItemGroups"][0]["lineItems"]
    assert len(lines) == 200
    assert Decimal(full["totalAmount"]) == sum(Decimal(line["totalAmount"]) for line in lines)
    grouped = full["lineItemGroups"][0]
    assert Decimal(grouped["totalAmount"]) == sum(
        Decimal(line["totalAmount"]) for line in grouped["lineItems"]
    )
    assert sorted(line["index"] for line in lines) == list(range(200))


async def test_concurrent_lines_naming_one_new_product_share_it(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}/line-items"
    responses = await asyncio.gather(
        *(api.post(url, json={"name": f"Brand new {i % 2}", "amount": "1.00"}) for i in range(30))
    )
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses if r.status_code != 201]
    assert len({r.json()["productId"] for r in responses}) == 2


async def test_basic_auth_takes_the_key_as_user_name(api: ApiClient) -> None:
    import base64

    token = base64.b64encode(f"{api.key}:".encode()).decode()
    ok = await api.raw.get("/v1/customers", headers={"Authorization": f"Basic {token}"})
    assert ok.status_code == 200
    bad = await api.raw.get("/v1/customers", headers={"Authorization": "Basic !!notbase64"})
    assert bad.status_code == 401
