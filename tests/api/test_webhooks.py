"""Events (``/v1/events``) and webhook endpoints: the outbox as clients see it."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db import models as m
from conftest import ApiClient, make_invoice


def _app(api: ApiClient) -> Any:
    return api.raw._transport.app  # type: ignore[attr-defined]


async def _paid_invoice(api: ApiClient) -> dict[str, Any]:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    await api.create(f"{base}/line-items", {"name": "Work", "quantity": "1", "unitPrice": "10.00"})
    assert (await api.post(f"{base}/issue", json={})).status_code == 200
    await api.create(f"{base}/payments", {"amount": "10.00"})
    return invoice


async def test_events_are_listed_in_order_with_their_payload(api: ApiClient) -> None:
    invoice = await _paid_invoice(api)
    events = (await api.get("/v1/events?type=invoice.issued")).json()["data"]
    assert [e["type"] for e in events] == ["invoice.issued"]
    issued = events[0]
    assert issued["resourceType"] == "invoice"
    assert issued["resourceId"] == invoice["id"]
    assert issued["payload"]["status"] == "issued"
    assert issued["payload"]["invoiceNumber"]
    everything = (await api.get(f"/v1/events?resourceId={invoice['id']}&limit=100")).json()["data"]
    types = [e["type"] for e in everything]
    assert types[0] == "invoice.created"
    assert types[-3:] == ["invoice.issued", "invoice.payment_recorded", "invoice.paid"]
    assert [e["sequence"] for e in everything] == sorted(e["sequence"] for e in everything)
    paid = everything[-1]
    assert paid["payload"]["status"] == "paid"
    assert paid["payload"]["amountRemaining"] == "0.00"
    # the per-invoice log reads the same rows
    log = (await api.get(f"/v1/invoices/{invoice['id']}/events")).json()["data"]
    assert [e["id"] for e in log] == [e["id"] for e in everything]
    one = await api.get(f"/v1/events/{paid['id']}")
    assert one.json() == paid


async def test_events_paginate_oldest_first_by_cursor(api: ApiClient) -> None:
    for _ in range(3):
        await make_invoice(api)
    first = (await api.get("/v1/events?limit=2&type=invoice.created")).json()
    assert first["hasMore"] is True
    rest = (await api.get(f"/v1/events?limit=2&type=invoice.created&after={first['nextCursor']}")).json()
    assert rest["hasMore"] is False
    sequences = [e["sequence"] for e in first["data"] + rest["data"]]
    assert len(sequences) == 3
    assert sequences == sorted(sequences)


async def test_event_filters_are_checked(api: ApiClient) -> None:
    for query, field in (
        ("type=issued", "type"),
        ("resourceType=thing", "resourceType"),
        ("resourceId=x", "resourceId"),
    ):
        response = await api.get(f"/v1/events?{query}")
        assert response.status_code == 400
        assert field in response.json()["details"]


async def test_draft_edits_coalesce_into_one_updated_event(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    for amount in ("1.00", "2.00", "3.00"):
        await api.create(f"{base}/line-items", {"name": "Work", "quantity": "1", "unitPrice": amount})
    events = (await api.get(f"/v1/events?resourceId={invoice['id']}")).json()["data"]
    assert [e["type"] for e in events] == ["invoice.created", "invoice.updated"]
    assert events[1]["payload"]["totalAmount"] == "6.00"
    await api.post(f"{base}/review", json={})
    await api.post(f"{base}/reopen", json={})
    await api.create(f"{base}/line-items", {"name": "More", "quantity": "1", "unitPrice": "4.00"})
    events = (await api.get(f"/v1/events?resourceId={invoice['id']}")).json()["data"]
    assert [e["type"] for e in events] == [
        "invoice.created",
        "invoice.updated",
        "invoice.in_review",
        "invoice.reopened",
        "invoice.updated",
    ]
    assert events[-1]["payload"]["totalAmount"] == "10.00"


async def test_concurrent_adds_leave_one_waiting_updated_event_with_the_last_state(api: ApiClient) -> None:
    """Each add decides at commit, under the invoice's lock, whether the waiting ``invoice.updated``
    takes its payload or a new one is written: 20 adds at once leave exactly one, showing them all."""
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    responses = await asyncio.gather(
        *(api.post(f"{base}/line-items", json={"name": "Seat", "amount": "1.25"}) for _ in range(20))
    )
    assert {r.status_code for r in responses} == {201}
    events = (await api.get(f"/v1/events?resourceId={invoice['id']}")).json()["data"]
    assert [e["type"] for e in events] == ["invoice.created", "invoice.updated"]
    assert events[1]["payload"]["totalAmount"] == "25.00"
    assert [e["sequence"] for e in events] == sorted(e["sequence"] for e in events)


async def test_every_kind_of_draft_edit_joins_the_waiting_updated_event(api: ApiClient) -> None:
    """Edits other than adds (a line changed or deleted, a group, an adjustment, the invoice's fields)
    decide at commit as adds do: one waiting ``invoice.updated`` showing the last state, and a new one
    after a transition."""
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    line = await api.create(f"{base}/line-items", {"name": "Work", "amount": "10.00"})
    extra = await api.create(f"{base}/line-items", {"name": "Extra", "amount": "1.00"})
    assert (await api.patch(f"{base}/line-items/{line['id']}", json={"amount": "20.00"})).status_code == 200
    assert (await api.delete(f"{base}/line-items/{extra['id']}")).status_code == 204
    await api.create(f"{base}/line-item-groups", {"name": "Later"})
    await api.create(f"{base}/adjustments", {"type": "amount_discount", "amount": "2.00"})
    assert (await api.patch(base, json={"memo": "edited"})).status_code == 200
    events = (await api.get(f"/v1/events?resourceId={invoice['id']}")).json()["data"]
    assert [e["type"] for e in events] == ["invoice.created", "invoice.updated"]
    assert events[1]["payload"]["totalAmount"] == "18.00"
    await api.post(f"{base}/review", json={})
    await api.post(f"{base}/reopen", json={})
    assert (await api.patch(f"{base}/line-items/{line['id']}", json={"amount": "30.00"})).status_code == 200
    events = (await api.get(f"/v1/events?resourceId={invoice['id']}")).json()["data"]
    assert [e["type"] for e in events][-3:] == ["invoice.in_review", "invoice.reopened", "invoice.updated"]
    assert events[-1]["payload"]["totalAmount"] == "28.00"
    assert events[1]["payload"]["totalAmount"] == "18.00"


async def test_an_updated_event_already_picked_up_is_followed_by_a_new_one(
    api: ApiClient, engine: AsyncEngine, private_allowed: Any
) -> None:
    await api.create("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/hooks"})
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    await api.create(f"{base}/line-items", {"name": "Work", "amount": "1.00"})
    await api.create(f"{base}/line-items", {"name": "Work", "amount": "2.00"})
    events = (await api.get(f"/v1/events?resourceId={invoice['id']}")).json()["data"]
    assert [e["type"] for e in events] == ["invoice.created", "invoice.updated"]
    picked = events[1]
    async with engine.begin() as connection:  # a deliverer leases the waiting event's delivery
        deliveries = m.WebhookDelivery.__table__
        await connection.execute(
            update(deliveries)
            .where(deliveries.c.event_id == uuid.UUID(picked["id"]))
            .values(lease_until=datetime(2999, 1, 1), lease_owner="a deliverer")
        )
    await api.create(f"{base}/line-items", {"name": "Work", "amount": "4.00"})
    events = (await api.get(f"/v1/events?resourceId={invoice['id']}")).json()["data"]
    assert [e["type"] for e in events] == ["invoice.created", "invoice.updated", "invoice.updated"]
    assert events[1]["payload"] == picked["payload"]  # what the deliverer holds is left as it was
    assert events[1]["payload"]["totalAmount"] == "3.00"
    assert events[2]["payload"]["totalAmount"] == "7.00"


async def test_an_endpoint_shows_its_secret_once(api: ApiClient, private_allowed: Any) -> None:
    created = await api.create(
        "/v1/webhook-endpoints",
        {"url": "http://127.0.0.1:9/hooks", "enabledEvents": ["invoice.paid"], "description": "books"},
    )
    secret = created["secret"]
    assert isinstance(secret, str)
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert created["status"] == "enabled"
    shown = (await api.get(f"/v1/webhook-endpoints/{created['id']}")).json()
    assert "secret" not in shown
    assert shown["enabledEvents"] == ["invoice.paid"]
    listed = (await api.get("/v1/webhook-endpoints")).json()["data"]
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]
    patched = await api.patch(f"/v1/webhook-endpoints/{created['id']}", json={"disabled": True})
    assert patched.json()["status"] == "disabled"
    patched = await api.patch(
        f"/v1/webhook-endpoints/{created['id']}", json={"disabled": False, "enabledEvents": ["*"]}
    )
    assert patched.json()["status"] == "enabled"
    assert patched.json()["enabledEvents"] == ["*"]
    rotated = (await api.post(f"/v1/webhook-endpoints/{created['id']}/rotate-secret", json={})).json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != secret
    assert rotated["previousSecretExpiresAt"]
    assert (await api.delete(f"/v1/webhook-endpoints/{created['id']}")).status_code == 204
    assert (await api.get(f"/v1/webhook-endpoints/{created['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "http://127.0.0.1:9/x", "enabledEvents": ["invoice.nope"]}, "enabledEvents"),
        ({"url": "http://127.0.0.1:9/x", "enabledEvents": []}, "enabledEvents"),
        ({"url": "http://127.0.0.1:9/x", "enabledEvents": ["*", "invoice.paid"]}, "enabledEvents"),
    ],
)
async def test_bad_endpoints_are_refused(
    api: ApiClient, private_allowed: Any, body: dict[str, Any], field: str
) -> None:
    response = await api.post("/v1/webhook-endpoints", json=body)
    assert response.status_code == 400, response.text
    assert field in response.json()["details"]
    assert (await api.get("/v1/webhook-endpoints")).json()["data"] == []


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://10.1.2.3/hook",
        "https://[fd00::1]/hook",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "http://93.184.215.14/hook",
    ],
)
async def test_private_and_plain_http_urls_are_refused_at_creation(api: ApiClient, url: str) -> None:
    response = await api.post("/v1/webhook-endpoints", json={"url": url})
    assert response.status_code == 400, response.text
    assert "url" in response.json()["details"]


async def test_a_name_resolving_to_a_private_address_is_refused(api: ApiClient) -> None:
    app = _app(api)

    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.0.0.7"]

    app.state.webhook_resolver = resolver
    try:
        response = await api.post("/v1/webhook-endpoints", json={"url": "https://hooks.example.com/in"})
    finally:
        app.state.webhook_resolver = None
    assert response.status_code == 400
    assert "10.0.0.7" in response.json()["details"]["url"]


async def test_endpoints_and_events_belong_to_their_organization(
    api: ApiClient, private_allowed: Any, engine: Any
) -> None:
    from conftest import new_api_key

    other = ApiClient(api.raw, await new_api_key(engine, "Other"))
    created = await api.create("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/x"})
    invoice = await make_invoice(api)
    assert (await other.get(f"/v1/webhook-endpoints/{created['id']}")).status_code == 404
    assert (await other.get("/v1/webhook-endpoints")).json()["data"] == []
    event = (await api.get("/v1/events")).json()["data"][0]
    assert event["resourceId"] == invoice["id"]
    assert (await other.get(f"/v1/events/{event['id']}")).status_code == 404
    assert (await other.get("/v1/events")).json()["data"] == []


async def test_credit_balance_changes_are_events(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Acme", "currency": "USD"})
    await api.create(f"/v1/customers/{customer['id']}/credits", {"amount": "5.00"})
    query = "/v1/events?type=customer.credit_balance_changed"
    events = (await api.get(query)).json()["data"]
    assert [e["resourceId"] for e in events] == [customer["id"]]
    assert events[0]["resourceType"] == "customer"
    assert events[0]["invoiceId"] is None
    assert events[0]["payload"]["creditBalances"] == [{"currency": "USD", "available": "5.00"}]
    invoice = await api.create("/v1/invoices", {"customerId": customer["id"], "invoiceDate": "2026-03-15"})
    base = f"/v1/invoices/{invoice['id']}"
    await api.create(f"{base}/line-items", {"name": "Work", "quantity": "1", "unitPrice": "10.00"})
    issued = (await api.post(f"{base}/issue", json={})).json()
    assert issued["creditsAppliedAmount"] == "5.00"
    events = (await api.get(query)).json()["data"]
    assert len(events) == 2
    assert events[1]["payload"]["creditBalances"] == [{"currency": "USD", "available": "0.00"}]


@pytest.mark.parametrize(
    "url",
    ["https://ex\u00e4mple..com/x", "https://" + "a" * 300 + ".com/x", "https://[::1/x", "https://h:99999/x"],
)
async def test_malformed_urls_are_a_400(api: ApiClient, url: str) -> None:
    response = await api.post("/v1/webhook-endpoints", json={"url": url})
    assert response.status_code == 400, response.text
    assert "url" in response.json()["details"]


HOSTILE_URLS = [
    "https://93.184.216.34/\r\nX-Injected: 1",
    "https://93.184.216.34/a b",
    "https://93.184.216.34/a\tb",
    "https://93.184.216.34/a\u00a0b",
    "https://93.184.216.34/a\x00b",
    "https://93.184.216.34:0/",
    "https://93.184.216.34:/",
    "https://93.184.216.34:65536/",
    "https://[2606:2800:220:1:248:1893:25c8:1946]x/",
    "https://user:pass@93.184.216.34/",
    "https://93.184.216.34/in#frag",
    "https://93.184.216.34/in#",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
async def test_hostile_urls_are_refused_at_creation(api: ApiClient, url: str) -> None:
    response = await api.post("/v1/webhook-endpoints", json={"url": url})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["details"]) == ["url"]
    assert (await api.get("/v1/webhook-endpoints")).json()["data"] == []


@pytest.mark.parametrize("url", HOSTILE_URLS)
async def test_hostile_urls_are_refused_on_update(api: ApiClient, url: str) -> None:
    created = await api.create("/v1/webhook-endpoints", {"url": "https://93.184.216.34/hooks"})
    response = await api.patch(f"/v1/webhook-endpoints/{created['id']}", json={"url": url})
    assert response.status_code == 400, response.text
    assert list(response.json()["details"]) == ["url"]
    assert (await api.get(f"/v1/webhook-endpoints/{created['id']}")).json()["url"] == created["url"]


@pytest.mark.parametrize(
    "url",
    [
        "https://93.184.216.34/hooks?a=1&b=%20two",
        "https://93.184.216.34:8443/hooks",
        "https://[2606:2800:220:1:248:1893:25c8:1946]:8443/hooks?x=y",
        "https://hooks.example.com:8443/in?a=1",
    ],
)
async def test_ordinary_urls_are_taken_and_kept_as_given(api: ApiClient, url: str) -> None:
    app = _app(api)

    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    app.state.webhook_resolver = resolver
    try:
        created = await api.create("/v1/webhook-endpoints", {"url": url})
        assert created["url"] == url
        patched = await api.patch(f"/v1/webhook-endpoints/{created['id']}", json={"url": url + "&z=1"})
    finally:
        app.state.webhook_resolver = None
    assert patched.status_code == 200, patched.text
    assert patched.json()["url"] == url + "&z=1"


async def test_replay_since_out_of_range_is_a_400(api: ApiClient, private_allowed: Any) -> None:
    created = await api.create("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/x", "disabled": True})
    response = await api.post(
        f"/v1/webhook-endpoints/{created['id']}/replay", json={"since": "0001-01-01T00:00:00+05:00"}
    )
    assert response.status_code == 400, response.text
    assert "since" in response.json()["details"]
