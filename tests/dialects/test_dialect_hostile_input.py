"""Hostile bodies on every vendor API: duplicated keys, NUL, control characters, dates at the edges.

Each is a 400 in the vendor's error shape naming the field, on SQLite and PostgreSQL alike, and nothing
is written.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from dialect_helpers import customer

from conftest import ApiClient

JSON = {"Content-Type": "application/json"}
NUL = "a\u0000b"


def refused(response: httpx.Response, field: str, reason: str) -> None:
    """A 400 whose body names ``field`` with ``reason`` (each vendor writes its errors its own way)."""
    assert response.status_code == 400, response.text
    text = json.dumps(response.json())
    assert field in text, text
    assert reason in text, text


async def _invoice(api: ApiClient) -> str:
    buyer = await customer(api)
    invoice = await api.create("/v1/invoices", {"customerId": buyer["id"], "invoiceDate": "2026-03-15"})
    return str(invoice["id"])


async def _lines(api: ApiClient, invoice_id: str) -> list[Any]:
    data: list[Any] = (await api.get(f"/v1/invoices/{invoice_id}/line-items")).json()["data"]
    return data


def _endpoints(invoice_id: str, product_id: str) -> dict[str, tuple[str, dict[str, Any], str, str]]:
    """Per vendor: (url, a valid body, its name field, its free-text field or '')."""
    return {
        "aira": (
            f"/aira/v1/invoices/{invoice_id}/line-items",
            {"idempotencyKey": "k1", "name": "Fee", "amount": 5},
            "name",
            "",
        ),
        "aira_group": (
            f"/aira/v1/invoices/{invoice_id}/line-item-groups",
            {
                "idempotencyKey": "k2",
                "productId": product_id,
                "name": "G",
                "startDate": "2026-03-01",
                "endDate": "2026-03-31",
            },
            "name",
            "",
        ),
        "sequence": (
            f"/sequence/api/invoices/{invoice_id}/line-items",
            {"title": "Fee", "rate": "5", "description": "ok"},
            "title",
            "description",
        ),
        "sequence_group": (
            f"/sequence/api/invoices/{invoice_id}/line-item-groups",
            {"title": "Group", "description": "ok"},
            "title",
            "description",
        ),
        "orb": (
            "/orb/v1/invoice_line_items",
            {
                "invoice_id": invoice_id,
                "name": "Fee",
                "amount": "5",
                "quantity": 1,
                "start_date": "2026-03-01",
                "end_date": "2026-03-31",
            },
            "name",
            "",
        ),
        "alguna": (
            f"/alguna/invoices/{invoice_id}/line-items",
            {"description": "Fee", "unitPrice": "5"},
            "description",
            "",
        ),
    }


async def test_every_vendor_api_refuses_duplicated_keys(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    product = await api.create("/v1/products", {"name": "Seats"})
    for url, body, name, _ in _endpoints(invoice_id, str(product["id"])).values():
        text = json.dumps(body)[:-1] + f', "{name}": "Second"}}'
        response = await api.request("POST", url, content=text.encode(), headers=JSON)
        refused(response, name, "duplicated key")
    aira = f"/aira/v1/invoices/{invoice_id}/line-items"
    text = '{"idempotencyKey":"k9","name":"dup","amount":1.00,"amount":1000000.00}'
    refused(await api.request("POST", aira, content=text.encode(), headers=JSON), "amount", "duplicated key")
    assert await _lines(api, invoice_id) == []


async def test_every_vendor_api_refuses_nul_and_control_characters(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    product = await api.create("/v1/products", {"name": "Seats"})
    for url, body, name, text_field in _endpoints(invoice_id, str(product["id"])).values():
        refused(await api.post(url, json={**body, name: NUL}), name, "NUL")
        refused(await api.post(url, json={**body, name: "tab\there"}), name, "control")
        refused(await api.post(url, json={**body, name: "   "}), name, "blank")
        if text_field:
            refused(await api.post(url, json={**body, text_field: NUL}), text_field, "NUL")
            refused(await api.post(url, json={**body, text_field: "bell\u0007"}), text_field, "control")
    aira = {"idempotencyKey": "inv", "invoiceDate": "2026-03-15", "memo": NUL, "customerId": invoice_id}
    refused(await api.post("/aira/v1/invoices", json=aira), "memo", "NUL")
    refused(await api.post("/aira/v1/invoices", json={**aira, "memo": "bell\u0007"}), "memo", "control")
    orb = _endpoints(invoice_id, "")["orb"][1]
    refused(await api.post("/orb/v1/invoice_line_items", json={**orb, "item_id": NUL}), "item_id", "NUL")
    assert await _lines(api, invoice_id) == []
    groups = (await api.get(f"/v1/invoices/{invoice_id}/line-item-groups")).json()["data"]
    assert groups == []


async def test_free_text_keeps_tabs_and_newlines_on_vendor_apis(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    url = f"/sequence/api/invoices/{invoice_id}/line-items"
    created = await api.post(url, json={"title": "Fee", "rate": "5", "description": "a\n\tb"})
    assert created.status_code == 201, created.text
    assert created.json()["description"] == "a\n\tb"


async def test_a_nul_in_a_vendor_path_or_query_is_a_400_in_its_shape(api: ApiClient) -> None:
    orb = await api.get("/orb/v1/invoices/%00")
    assert orb.status_code == 400, orb.text
    assert orb.json()["status"] == 400
    alguna = await api.get("/alguna/invoices/x%00y")
    assert alguna.status_code == 400, alguna.text
    assert set(alguna.json()) == {"status", "detail"}


async def test_sequence_timestamps_beyond_the_calendar_are_a_400(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    url = f"/sequence/api/invoices/{invoice_id}/line-items"
    for start, end in (
        ("0001-01-01T00:00:00+01:00", "0001-01-02T00:00:00Z"),
        ("9999-12-31T00:00:00Z", "9999-12-31T23:30:00-01:00"),
    ):
        body = {"title": "Fee", "rate": "5", "servicePeriodStart": start, "servicePeriodEnd": end}
        response = await api.post(url, json=body)
        assert response.status_code == 400, response.text
        assert "9999-12-31" in response.text
    assert await _lines(api, invoice_id) == []


async def test_vendor_apis_take_the_first_and_last_dates(api: ApiClient) -> None:
    invoice_id = await _invoice(api)
    sequence = await api.post(
        f"/sequence/api/invoices/{invoice_id}/line-items",
        json={
            "title": "First",
            "rate": "1",
            "servicePeriod": {"startDate": "0001-01-01", "endDate": "0001-01-01"},
        },
    )
    assert sequence.status_code == 201, sequence.text
    orb = await api.post(
        "/orb/v1/invoice_line_items",
        json={
            "invoice_id": invoice_id,
            "name": "Last",
            "amount": "1",
            "quantity": 1,
            "start_date": "9999-12-31",
            "end_date": "9999-12-31",
        },
    )
    assert orb.status_code == 201, orb.text
    buyer = await customer(api)
    aira = await api.post(
        "/aira/v1/invoices",
        json={"idempotencyKey": "edge", "invoiceDate": "9999-12-31", "memo": "", "customerId": buyer["id"]},
    )
    assert aira.status_code == 200, aira.text
    for url in (
        f"/aira/v1/invoices/{invoice_id}",
        f"/orb/v1/invoices/{invoice_id}",
        f"/alguna/invoices/{invoice_id}",
        f"/sequence/api/invoices/{invoice_id}/line-items/all",
    ):
        response = await api.get(url)
        assert response.status_code == 200, (url, response.text)
