"""The request-body limit (``BILLFOLD_MAX_BODY_BYTES``) and small, cheap errors for huge bad bodies."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.app import create_app
from billfold.config import DEFAULT_MAX_BODY_BYTES, load_settings
from conftest import ApiClient, make_invoice, new_api_key

JSON = {"Content-Type": "application/json"}
SIX_MB = 6 * 1024 * 1024


def too_large(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 413, response.text[:500]
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "details", "causations"}, body
    assert body["code"] == "payload_too_large"
    assert "body" in body["details"]
    return body


def padded(size: int) -> bytes:
    """A valid product body of exactly ``size`` bytes (padded with spaces)."""
    text = b'{"name": "Padded"}'
    return text[:-1] + b" " * (size - len(text)) + b"}"


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    yield b'{"name": "'
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


def test_the_limit_is_5_mib_by_default_and_set_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BILLFOLD_MAX_BODY_BYTES", raising=False)
    assert load_settings().max_body_bytes == DEFAULT_MAX_BODY_BYTES == 5_242_880
    monkeypatch.setenv("BILLFOLD_MAX_BODY_BYTES", "1000")
    assert load_settings().max_body_bytes == 1000


async def test_a_6_mb_body_is_a_413_and_writes_nothing(api: ApiClient) -> None:
    body = json.dumps({"name": "Big", "description": "x" * SIX_MB}).encode()
    too_large(await api.post("/v1/products", content=body, headers=JSON))
    assert (await api.get("/v1/products")).json()["data"] == []


async def test_a_chunked_body_over_the_limit_is_a_413(api: ApiClient) -> None:
    response = await api.post("/v1/products", content=chunks(SIX_MB), headers=JSON)
    assert "content-length" not in response.request.headers
    too_large(response)
    assert (await api.get("/v1/products")).json()["data"] == []


async def test_vendor_apis_answer_413_in_their_own_shape(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    body = b'{"description": "' + b"x" * SIX_MB + b'"}'
    orb = await api.post("/orb/v1/invoice_line_items", content=body, headers=JSON)
    assert orb.status_code == 413
    assert orb.json()["status"] == 413
    assert orb.json()["title"] == "Request too large"
    alguna = await api.post(
        f"/alguna/invoices/{invoice['id']}/line-items", content=chunks(SIX_MB), headers=JSON
    )
    assert alguna.status_code == 413
    assert set(alguna.json()) == {"status", "detail"}
    aira = await api.post(f"/aira/v1/invoices/{invoice['id']}/line-items", content=body, headers=JSON)
    assert aira.status_code == 413
    assert aira.json()["code"] == "payload_too_large"


async def test_the_limit_is_exact(engine: AsyncEngine) -> None:
    app = create_app(engine, max_body_bytes=1000)
    transport = httpx.ASGITransport(app=app)
    headers = {**JSON, "X-API-KEY": await new_api_key(engine)}
    async with httpx.AsyncClient(transport=transport, base_url="http://billfold.test") as client:
        fits = await client.post("/v1/products", content=padded(1000), headers=headers)
        assert fits.status_code == 201, fits.text
        too_large(await client.post("/v1/products", content=padded(1001), headers=headers))

        async def streamed() -> AsyncIterator[bytes]:
            body = padded(1001)
            for start in range(0, len(body), 100):
                yield body[start : start + 100]

        too_large(await client.post("/v1/products", content=streamed(), headers=headers))
        names = [p["name"] for p in (await client.get("/v1/products", headers=headers)).json()["data"]]
        assert names == ["Padded"]


async def test_100000_unknown_keys_answer_a_small_400_quickly(api: ApiClient) -> None:
    body = json.dumps({"name": "P", **{f"k{i}": 0 for i in range(100_000)}}).encode()
    assert len(body) < 2_000_000
    started = time.process_time()
    response = await api.post("/v1/products", content=body, headers=JSON)
    spent = time.process_time() - started
    assert response.status_code == 400, response.text[:500]
    assert len(response.content) < 4000
    details = response.json()["details"]
    assert len(details) == 21
    assert details["k0"] == "unknown field"
    assert details["_more"] == "99980 more"
    assert spent < 1.0, spent
    assert (await api.get("/v1/products")).json()["data"] == []


async def test_many_unknown_keys_in_nested_objects_and_on_vendor_apis(api: ApiClient) -> None:
    extra = {f"x{i}": 1 for i in range(5000)}
    customer = await api.post("/v1/customers", json={"name": "A", "address": {"city": "Lyon", **extra}})
    assert customer.status_code == 400
    details = customer.json()["details"]
    assert details["address.x0"] == "unknown field"
    assert details["_more"] == "4980 more"
    invoice = await make_invoice(api)
    orb = await api.post(
        "/orb/v1/invoice_line_items", json={"invoice_id": invoice["id"], "amount": "1", **extra}
    )
    assert orb.status_code == 400
    assert len(orb.content) < 4000
    assert len(orb.json()["validation_errors"]) == 21


async def test_many_errors_of_other_kinds_are_capped_too(api: ApiClient) -> None:
    rates = [{"rate": "x"}] * 300
    response = await api.post("/v1/tax-categories", json={"name": "VAT", "rates": rates})
    assert response.status_code == 400
    details = response.json()["details"]
    assert len(details) == 21
    assert details["rates[0].rate"]
    assert details["_more"] == "280 more"
    assert len(response.json()["causations"]) <= 21
    assert len(response.content) < 8000


async def test_a_long_usage_list_stops_at_its_first_bad_value(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}/line-items"
    transactions = ["1.00"] * 10 + ["bad"] * 99_990  # within the 100,000 cap
    started = time.process_time()
    response = await api.post(url, json={"name": "Usage", "transactions": transactions})
    spent = time.process_time() - started
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["transactions[10]"]
    assert spent < 1.0, spent
    assert (await api.get(url)).json()["data"] == []
