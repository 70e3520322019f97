"""Idempotent creates and concurrency: replays, reused keys, races on one key, concurrent line adds."""

from __future__ import annotations

import asyncio
import base64
from decimal import Decimal

import pytest

from billfold.web import plumbing
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
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses if r.status_code != 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert all(r.json() == responses[0].json() for r in responses)
    assert sum("Idempotent-Replayed" not in r.headers for r in responses) == 1
    assert len((await api.get("/v1/customers")).json()["data"]) == 1


async def test_a_unique_name_taken_by_the_same_key_meanwhile_replays_its_answer(api: ApiClient) -> None:
    # A request that reads its key unused, then finds the external id or the name taken by a request
    # with the same key that committed meanwhile, answers that request's answer, not a 409.
    for round_ in range(6):
        kinds = (
            ("/v1/customers", {"name": "Same", "externalCustomerId": f"ext-{round_}"}),
            ("/v1/products", {"name": f"Product {round_}"}),
        )
        for path, body in kinds:
            headers = {"Idempotency-Key": f"same-{path[4:]}-{round_}"}
            responses = await asyncio.gather(*(api.post(path, json=body, headers=headers) for _ in range(20)))
            statuses = [r.status_code for r in responses]
            assert set(statuses) == {201}, [r.text for r in responses if r.status_code != 201]
            assert len({r.json()["id"] for r in responses}) == 1
    other = await api.post("/v1/customers", json={"name": "Other", "externalCustomerId": "ext-0"})
    assert other.status_code == 409  # another key: the external id is taken
    assert other.json()["code"] == "duplicate_external_customer_id"


async def test_a_key_found_unused_then_used_by_a_committed_request_replays(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race above made certain: the second request's first read finds the key unused (as if it ran
    # before the first request committed), then its create finds the external id or name taken.
    first_customer = await api.create(
        "/v1/customers", {"name": "Early", "externalCustomerId": "early-1", "idempotencyKey": "early"}
    )
    first_product = await api.create("/v1/products", {"name": "Early product", "idempotencyKey": "early-p"})
    real = plumbing.authenticate_with_record

    async def read_too_early(*args: object, **kwargs: object) -> tuple[object, None]:
        actor, _ = await real(*args, **kwargs)  # type: ignore[arg-type]
        return actor, None

    monkeypatch.setattr(plumbing, "authenticate_with_record", read_too_early)
    again = await api.post(
        "/v1/customers", json={"name": "Early", "externalCustomerId": "early-1", "idempotencyKey": "early"}
    )
    assert again.status_code == 201, again.text
    assert again.json() == first_customer
    assert again.headers["Idempotent-Replayed"] == "true"
    product = await api.post("/v1/products", json={"name": "Early product", "idempotencyKey": "early-p"})
    assert product.status_code == 201, product.text
    assert product.json() == first_product
    # the same key with another body: still a reused key; another key: the name is taken
    reused = await api.post(
        "/v1/customers", json={"name": "Later", "externalCustomerId": "early-1", "idempotencyKey": "early"}
    )
    assert reused.status_code == 409
    assert reused.json()["code"] == "idempotency_key_reused"
    taken = await api.post("/v1/products", json={"name": "Early product", "idempotencyKey": "fresh"})
    assert taken.status_code == 409
    assert taken.json()["code"] == "duplicate_product_name"
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


async def test_two_different_keys_in_one_request_are_a_401(api: ApiClient) -> None:
    other = "bf_another_organizations_key"
    token = base64.b64encode(b"proxy-user:secret").decode()
    cases = [
        ([("X-API-KEY", api.key), ("X-API-KEY", other)], 401),
        ([("X-API-KEY", api.key), ("Authorization", f"Bearer {other}")], 401),
        ([("Authorization", f"Bearer {api.key}"), ("Authorization", f"Bearer {other}")], 401),
        ([("X-API-KEY", api.key), ("X-API-KEY", api.key)], 200),
        ([("X-API-KEY", api.key), ("Authorization", f"Bearer {api.key}")], 200),
        ([("X-API-KEY", api.key), ("Authorization", f"Basic {token}")], 200),  # a proxy's own
    ]
    for headers, status in cases:
        for method, url in (("GET", "/v1/customers"), ("POST", "/v1/customers")):
            response = await api.raw.request(method, url, headers=headers, json={"name": "Two keys"})
            expected = 201 if status == 200 and method == "POST" else status
            assert response.status_code == expected, (headers, method, response.text)
            if status == 401:
                assert "more than one API key" in response.json()["message"]
    assert len((await api.get("/v1/customers")).json()["data"]) == 3
