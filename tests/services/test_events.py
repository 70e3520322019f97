"""The event log: one writer, numbered per organization in the order things happened."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import ApiClient, make_invoice, new_api_key


@pytest.fixture
async def other_api(engine: AsyncEngine, app_client: httpx.AsyncClient) -> ApiClient:
    return ApiClient(app_client, await new_api_key(engine, "Other organization"))


async def _events(api: ApiClient, invoice_id: object) -> list[dict[str, object]]:
    response = await api.get(f"/v1/invoices/{invoice_id}/events")
    assert response.status_code == 200, response.text
    data: list[dict[str, object]] = response.json()["data"]
    return data


async def _line(api: ApiClient, invoice_id: object, amount: str) -> None:
    await api.create(f"/v1/invoices/{invoice_id}/line-items", {"name": "Service", "amount": amount})


async def test_an_invoice_paid_on_issue_logs_created_issued_paid_in_order(api: ApiClient) -> None:
    # issued and paid are written in the same millisecond: only the sequence can order them, so
    # several invoices make an order left to chance fail
    for _ in range(8):
        invoice = await make_invoice(api)
        await _line(api, invoice["id"], "0.00")
        issued = await api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": "2026-03-15"})
        assert issued.status_code == 200, issued.text
        assert issued.json()["status"] == "paid"
        events = await _events(api, invoice["id"])
        assert [e["type"] for e in events] == [
            "invoice.created",
            "invoice.updated",
            "invoice.issued",
            "invoice.paid",
        ]
        assert [(e["fromStatus"], e["toStatus"]) for e in events] == [
            (None, "draft"),
            (None, None),
            ("draft", "issued"),
            ("issued", "paid"),
        ]
        sequences = [e["sequence"] for e in events]
        assert all(isinstance(s, int) for s in sequences)
        assert sequences == sorted(set(sequences))  # type: ignore[type-var]


async def test_a_payment_that_settles_logs_payment_then_paid(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    await _line(api, invoice["id"], "10.00")
    await api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": "2026-03-15"})
    paid = await api.post(f"/v1/invoices/{invoice['id']}/payments", json={"amount": "10.00"})
    assert paid.status_code == 201, paid.text
    events = await _events(api, invoice["id"])
    assert [e["type"] for e in events] == [
        "invoice.created",
        "invoice.updated",
        "invoice.issued",
        "invoice.payment_recorded",
        "invoice.paid",
    ]
    sequences = [int(str(e["sequence"])) for e in events]
    assert all(a < b for a, b in itertools.pairwise(sequences))


async def test_sequences_are_per_organization_and_strictly_increasing(
    api: ApiClient, other_api: ApiClient
) -> None:
    first = await make_invoice(api)
    second = await make_invoice(api)
    await api.post(f"/v1/invoices/{first['id']}/cancel", json={})
    elsewhere = await make_invoice(other_api)
    ours = [e["sequence"] for e in await _events(api, first["id"])]
    ours += [e["sequence"] for e in await _events(api, second["id"])]
    assert sorted(ours) == [1, 2, 3]  # type: ignore[type-var]
    assert [e["sequence"] for e in await _events(other_api, elsewhere["id"])] == [1]


async def test_concurrent_issues_of_one_organization_get_distinct_sequences(api: ApiClient) -> None:
    invoices = [await make_invoice(api) for _ in range(20)]
    for invoice in invoices:
        await _line(api, invoice["id"], "5.00")
    responses = await asyncio.gather(
        *(
            api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": "2026-03-15"})
            for invoice in invoices
        )
    )
    assert [r.status_code for r in responses] == [200] * 20
    sequences: list[int] = []
    for invoice in invoices:
        events = await _events(api, invoice["id"])
        assert [e["type"] for e in events] == ["invoice.created", "invoice.updated", "invoice.issued"]
        sequences += [int(str(e["sequence"])) for e in events]
    # every number from 1 to 60 exactly once: none shared, none skipped
    assert sorted(sequences) == list(range(1, 61))
