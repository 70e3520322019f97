"""Large prices and usage through the API: refused beyond the limits with a 400 naming the field, quickly
and before any write; a large price does not hold up another organization's writes."""

from __future__ import annotations

import asyncio
import time

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import ApiClient, make_invoice, new_api_key


def tiers(count: int, last_to: str | None = None) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"from": str(10 * i), "to": str(10 * (i + 1)), "unitPrice": "0.01", "flatFee": "1"}
        for i in range(count)
    ]
    rows[-1]["to"] = last_to
    return rows


async def _product(api: ApiClient) -> str:
    return str((await api.create("/v1/products", {"name": "Requests"}))["id"])


async def test_a_1000_tier_price_is_created_and_prices_a_line(api: ApiClient) -> None:
    product = await _product(api)
    body = {"productId": product, "currency": "USD", "model": "graduated", "tiers": tiers(1000)}
    price = await api.create("/v1/prices", body)
    assert len(price["tiers"]) == 1000  # type: ignore[arg-type]
    invoice = await make_invoice(api)
    line = await api.create(
        f"/v1/invoices/{invoice['id']}/line-items", {"priceId": price["id"], "usage": "20000"}
    )
    # 20,000 units at 0.01 each, and the flat fee of all 1,000 tiers.
    assert line["subtotalAmount"] == "1200.00"
    assert len(line["subLineItems"]) == 2000  # type: ignore[arg-type]


async def test_5000_tiers_are_refused_by_their_count_before_any_tier_is_read(api: ApiClient) -> None:
    """Refused by the count alone, whatever the tiers hold (no tier is read: those past the 1,000th could
    not be, and the answer does not name them), where a wall-clock bound made the test fail on a busy
    machine."""
    product = await _product(api)
    invoice = await make_invoice(api)
    lines = f"/v1/invoices/{invoice['id']}/line-items"
    many = tiers(5000)
    for tier in many[1000:]:
        tier["unitPrice"] = "not a number"
        tier["unknown"] = [1, 2, 3]
    cases = [
        (
            "/v1/prices",
            {"productId": product, "currency": "USD", "model": "graduated", "tiers": many},
            "tiers",
        ),
        (
            lines,
            {"productId": product, "price": {"model": "volume", "tiers": many}, "usage": "1"},
            "price.tiers",
        ),
    ]
    for url, body, field in cases:
        response = await api.post(url, json=body)
        assert response.status_code == 400, response.text
        assert response.json()["details"] == {field: "at most 1000 tiers"}
    assert (await api.get("/v1/prices")).json()["data"] == []
    assert (await api.get(lines)).json()["data"] == []


async def test_matrix_cells_and_transactions_are_limited(api: ApiClient) -> None:
    product = await _product(api)
    cells = [{"values": [str(i)], "unitPrice": "1"} for i in range(10_001)]
    body = {
        "productId": product,
        "currency": "USD",
        "model": "matrix",
        "dimensions": ["region"],
        "cells": cells,
    }
    refused = await api.post("/v1/prices", json=body)
    assert refused.status_code == 400
    assert refused.json()["details"] == {"cells": "at most 10000 cells"}
    invoice = await make_invoice(api)
    line = {"productId": product, "price": {"model": "basis_points", "basisPoints": "25"}}
    # refused by the count, whatever the values hold (the one past the limit could not be read)
    transactions = ["1.00"] * 100_000 + ["not a number"]
    too_many = await api.post(
        f"/v1/invoices/{invoice['id']}/line-items", json={**line, "transactions": transactions}
    )
    assert too_many.status_code == 400
    assert too_many.json()["details"] == {"transactions": "at most 100000 transactions"}


async def test_a_large_price_does_not_hold_up_another_organization(
    api: ApiClient, engine: AsyncEngine, app_client: httpx.AsyncClient
) -> None:
    other = ApiClient(app_client, await new_api_key(engine, "Other organization"))
    product = await _product(api)
    body = {"productId": product, "currency": "USD", "model": "graduated", "tiers": tiers(1000)}

    async def other_write() -> tuple[httpx.Response, float]:
        await asyncio.sleep(0)  # let the price create start first
        start = time.perf_counter()
        response = await other.post("/v1/customers", json={"name": "Someone else"})
        return response, time.perf_counter() - start

    price, (customer, waited) = await asyncio.gather(api.post("/v1/prices", json=body), other_write())
    assert price.status_code == 201, price.text
    assert customer.status_code == 201, customer.text
    # Parsing 1,000 tiers took seconds when it was quadratic; now the other write waits for milliseconds.
    assert waited < 2.0
