"""Webhook delivery against a real HTTP receiver on loopback, on SQLite and PostgreSQL: Standard Webhooks
signatures (checked with the ``standardwebhooks`` package), retries with the same ``webhook-id``,
order per invoice with several deliverers at once, rotation, refused addresses, tenants apart."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from billfold.config import WebhookSettings
from billfold.db import models as m
from billfold.db.ids import utcnow
from billfold.delivery.deliverer import Deliverer
from billfold.delivery.scheduler import emit_overdue
from conftest import ApiClient, make_invoice, new_api_key
from webhook_receiver import Received, Receiver, receiving

FAST = WebhookSettings(timeout=5, retry_schedule=(0.05, 0.05, 0.05), allow_private=True, poll_interval=0.01)


async def drain(
    engine: AsyncEngine,
    until: Callable[[], bool],
    *,
    settings: WebhookSettings = FAST,
    deliverers: int = 1,
    within: float = 30.0,
    resolver: Any = None,
) -> None:
    """Run ``deliverers`` delivery loops at once until ``until()`` holds."""
    loops = [Deliverer(engine, settings, resolver=resolver, batch=5) for _ in range(deliverers)]
    deadline = time.monotonic() + within

    async def loop(deliverer: Deliverer) -> None:
        while not until():
            assert time.monotonic() < deadline, "deliveries did not arrive in time"
            if not await deliverer.run_once():
                await asyncio.sleep(0.01)

    try:
        await asyncio.gather(*(loop(d) for d in loops))
    finally:
        for deliverer in loops:
            await deliverer.close()


async def _endpoint(api: ApiClient, receiver: Receiver, events: list[str] | None = None) -> dict[str, Any]:
    return await api.create("/v1/webhook-endpoints", {"url": receiver.url, "enabledEvents": events or ["*"]})


async def _issue_and_pay(api: ApiClient, invoice_id: str, amount: str = "10.00") -> None:
    base = f"/v1/invoices/{invoice_id}"
    await api.create(f"{base}/line-items", {"name": "Work", "quantity": "1", "unitPrice": amount})
    assert (await api.post(f"{base}/issue", json={})).status_code == 200
    await api.create(f"{base}/payments", {"amount": amount})


def _of(receiver: Receiver, invoice_id: str) -> list[Received]:
    """The accepted requests about the invoice, in the order they were accepted."""
    with receiver.lock:
        return [r for r in receiver.accepted if r.json["data"].get("id") == invoice_id]


def _of_all(receiver: Receiver, invoice_id: str) -> list[Received]:
    with receiver.lock:
        return [r for r in receiver.requests if r.json["data"].get("id") == invoice_id]


def _patient() -> WebhookSettings:
    return WebhookSettings(timeout=5, retry_schedule=(60,), allow_private=True)


LIFE = ["invoice.created", "invoice.updated", "invoice.issued", "invoice.payment_recorded", "invoice.paid"]


async def test_issue_and_pay_arrive_signed_and_in_order(
    api: ApiClient, engine: AsyncEngine, private_allowed: Any
) -> None:
    with receiving() as receiver:
        endpoint = await _endpoint(api, receiver)
        invoice = await make_invoice(api)
        await _issue_and_pay(api, invoice["id"])
        await drain(engine, lambda: len(_of(receiver, invoice["id"])) >= 5)
        got = _of(receiver, invoice["id"])
    assert [r.json["type"] for r in got] == LIFE
    verifier = Webhook(endpoint["secret"])
    events = (await api.get(f"/v1/events?resourceId={invoice['id']}")).json()["data"]
    for request, event in zip(got, events, strict=True):
        assert verifier.verify(request.body, request.headers) == request.json
        assert request.webhook_id == event["id"]
        assert request.json["data"] == event["payload"]
        assert request.json["timestamp"] == event["createdAt"]
        assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    assert got[2].json["data"]["status"] == "issued"
    assert got[-1].json["data"]["status"] == "paid"
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 44).verify(got[0].body, got[0].headers)
    url = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries?limit=100"
    deliveries = (await api.get(url)).json()["data"]
    assert {d["status"] for d in deliveries} == {"delivered"}
    assert all([a["statusCode"] for a in d["attempts"]] == [200] for d in deliveries)


async def test_a_failing_receiver_gets_the_event_later_with_the_same_id(
    api: ApiClient, engine: AsyncEngine, private_allowed: Any
) -> None:
    with receiving(lambda n, _r: (503 if n <= 2 else 200, 0.0)) as receiver:
        endpoint = await _endpoint(api, receiver, ["invoice.created"])
        invoice = await make_invoice(api)
        await drain(engine, lambda: len(_of(receiver, invoice["id"])) >= 1)
        ids = [r.webhook_id for r in receiver.requests]
        timestamps = [int(r.headers["webhook-timestamp"]) for r in receiver.requests]
    assert len(ids) == 3
    assert len(set(ids)) == 1
    assert timestamps == sorted(timestamps)
    delivery = (await api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries")).json()["data"][0]
    assert delivery["status"] == "delivered"
    assert [a["statusCode"] for a in delivery["attempts"]] == [503, 503, 200]
    assert delivery["attempts"][0]["responseSnippet"].startswith("no thanks")
    assert len(delivery["attempts"][0]["responseSnippet"]) == 1024


async def test_after_the_last_retry_a_delivery_fails_and_the_next_goes_on(
    api: ApiClient, engine: AsyncEngine, private_allowed: Any
) -> None:
    def answer(_n: int, request: Received) -> tuple[int, float]:
        return (500, 0.0) if request.json["type"] == "invoice.created" else (200, 0.0)

    with receiving(answer) as receiver:
        endpoint = await _endpoint(api, receiver)
        invoice = await make_invoice(api)
        await api.post(f"/v1/invoices/{invoice['id']}/cancel", json={})
        await drain(engine, lambda: len(_of(receiver, invoice["id"])) >= 1)
        tries = [r for r in receiver.requests if r.json["type"] == "invoice.created"]
    assert len(tries) == 4  # the first attempt and three retries
    assert [r.json["type"] for r in _of(receiver, invoice["id"])] == ["invoice.canceled"]
    deliveries = (await api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries")).json()["data"]
    assert sorted(d["status"] for d in deliveries) == ["delivered", "failed"]
    failed = next(d for d in deliveries if d["status"] == "failed")
    assert failed["attemptCount"] == 4
    assert failed["nextAttemptAt"] is None


async def test_order_per_invoice_holds_with_several_deliverers(
    api: ApiClient, engine: AsyncEngine, private_allowed: Any
) -> None:
    rng = random.Random(7)

    def answer(_n: int, _r: Received) -> tuple[int, float]:
        return (503 if rng.random() < 0.2 else 200, rng.random() * 0.02)

    with receiving(answer) as receiver:
        await _endpoint(api, receiver)
        invoices = [await make_invoice(api) for _ in range(6)]
        for invoice in invoices:
            await _issue_and_pay(api, invoice["id"])
        await drain(
            engine,
            lambda: all(len(_of(receiver, i["id"])) >= 5 for i in invoices),
            deliverers=3,
            settings=WebhookSettings(timeout=5, retry_schedule=(0.01,) * 20, allow_private=True),
        )
        for invoice in invoices:
            assert [r.json["type"] for r in _of(receiver, invoice["id"])] == LIFE


async def test_a_slow_invoice_does_not_hold_up_another(
    api: ApiClient, engine: AsyncEngine, private_allowed: Any
) -> None:
    slow: dict[str, str] = {}

    def answer(_n: int, request: Received) -> tuple[int, float]:
        return (500, 0.0) if request.json["data"].get("id") == slow.get("id") else (200, 0.0)

    with receiving(answer) as receiver:
        await _endpoint(api, receiver)
        stuck = await make_invoice(api)
        slow["id"] = str(stuck["id"])
        other = await make_invoice(api)
        await _issue_and_pay(api, other["id"])
        # the stuck invoice's first event waits a minute before its retry; the other one goes on
        await drain(engine, lambda: len(_of(receiver, other["id"])) >= 5, settings=_patient())
        assert [r.json["type"] for r in _of(receiver, other["id"])] == LIFE
        assert len(_of_all(receiver, stuck["id"])) == 1


async def test_a_rotated_secret_signs_with_both_for_a_day(
    api: ApiClient, engine: AsyncEngine, private_allowed: Any
) -> None:
    with receiving() as receiver:
        endpoint = await _endpoint(api, receiver, ["invoice.created"])
        rotated = (await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", json={})).json()
        invoice = await make_invoice(api)
        await drain(engine, lambda: len(_of(receiver, invoice["id"])) >= 1)
        request = _of(receiver, invoice["id"])[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (endpoint["secret"], rotated["secret"]):
        assert Webhook(secret).verify(request.body, request.headers)


async def test_test_events_and_resends_keep_the_webhook_id(
    api: ApiClient, engine: AsyncEngine, private_allowed: Any
) -> None:
    with receiving() as receiver:
        endpoint = await _endpoint(api, receiver, ["invoice.paid"])
        sent = (await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test", json={})).json()
        assert sent["type"] == "webhook.test"
        await drain(engine, lambda: len(receiver.accepted) >= 1)
        resent = await api.post(f"/v1/events/{sent['id']}/resend", json={"endpointId": endpoint["id"]})
        assert resent.status_code == 200, resent.text
        [answered] = resent.json()["data"]
        assert answered["eventId"] == sent["id"]
        assert answered["eventType"] == sent["type"] == "webhook.test"
        await drain(engine, lambda: len(receiver.accepted) >= 2)
        listed = (await api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries")).json()["data"]
        assert {d["id"]: d["eventType"] for d in listed}[answered["id"]] == answered["eventType"]
    first, second = receiver.accepted
    assert first.json["type"] == second.json["type"] == "webhook.test"
    assert first.webhook_id == second.webhook_id == sent["id"]
    assert Webhook(endpoint["secret"]).verify(second.body, second.headers)


async def test_an_organizations_events_go_only_to_its_endpoints(
    api: ApiClient, engine: AsyncEngine, private_allowed: Any
) -> None:
    other = ApiClient(api.raw, await new_api_key(engine, "Elsewhere"))
    with receiving() as ours, receiving() as theirs:
        await _endpoint(api, ours)
        await _endpoint(other, theirs)
        mine = await make_invoice(api)
        elsewhere = await make_invoice(other)
        await drain(engine, lambda: bool(_of(ours, mine["id"])) and bool(_of(theirs, elsewhere["id"])))
        assert _of_all(ours, elsewhere["id"]) == []
        assert _of_all(theirs, mine["id"]) == []


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "::1", "::ffff:127.0.0.1", "169.254.169.254", "10.1.2.3", "fd00::1"]
)
async def test_a_name_rebound_to_a_refused_address_gets_nothing(
    api: ApiClient, engine: AsyncEngine, address: str
) -> None:
    answers = {"hooks.example.com": ["93.184.215.14"]}

    async def resolver(host: str, _port: int) -> list[str]:
        return answers[host]

    app = api.raw._transport.app  # type: ignore[attr-defined]
    app.state.webhook_resolver = resolver
    try:
        body = {"url": "https://hooks.example.com/in", "enabledEvents": ["invoice.created"]}
        endpoint = await api.create("/v1/webhook-endpoints", body)
    finally:
        app.state.webhook_resolver = None
    deliveries = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"
    answers["hooks.example.com"] = [address]
    await make_invoice(api)
    strict = WebhookSettings(timeout=5, retry_schedule=(60,), allow_private=False)
    deliverer = Deliverer(engine, strict, resolver=resolver)
    try:
        for _ in range(200):
            await deliverer.run_once()
            rows = (await api.get(deliveries)).json()["data"]
            if rows and rows[0]["attempts"]:
                break
    finally:
        await deliverer.close()
    delivery = (await api.get(deliveries)).json()["data"][0]
    assert delivery["status"] == "pending"
    assert delivery["attempts"][0]["statusCode"] is None
    assert "refused" in delivery["attempts"][0]["error"]


async def test_an_endpoint_failing_for_a_day_is_disabled_and_replay_requeues(
    api: ApiClient, engine: AsyncEngine, private_allowed: Any
) -> None:
    with receiving(lambda _n, _r: (500, 0.0)) as receiver:
        endpoint = await _endpoint(api, receiver, ["invoice.created", "invoice.canceled"])
        endpoint_id = endpoint["id"]
        first = await make_invoice(api)
        await drain(engine, lambda: len(_of_all(receiver, first["id"])) >= 1, settings=_patient())
        async with engine.begin() as connection:
            await connection.execute(
                update(m.WebhookEndpoint)
                .where(m.WebhookEndpoint.id == uuid.UUID(endpoint_id))
                .values(failing_since=utcnow().replace(year=utcnow().year - 1))
            )
        second = await make_invoice(api)
        await drain(engine, lambda: len(_of_all(receiver, second["id"])) >= 1, settings=_patient())
        shown = (await api.get(f"/v1/webhook-endpoints/{endpoint_id}")).json()
        assert shown["status"] == "auto_disabled"
        assert shown["disabledReason"]
        listing = f"/v1/webhook-endpoints/{endpoint_id}/deliveries"
        assert {d["status"] for d in (await api.get(listing)).json()["data"]} == {"failed"}
        # disabled: new events are not queued for it
        await make_invoice(api)
        assert len((await api.get(listing)).json()["data"]) == 2
        # re-enabled: no replay by itself; replay re-queues the failed ones
        enabled = await api.patch(f"/v1/webhook-endpoints/{endpoint_id}", json={"disabled": False})
        assert enabled.json()["status"] == "enabled"
        receiver.answer = lambda _n, _r: (200, 0.0)
        since = {"since": "2020-01-01T00:00:00Z"}
        replayed = await api.post(f"/v1/webhook-endpoints/{endpoint_id}/replay", json=since)
        assert replayed.json()["requeued"] == 2
        await drain(engine, lambda: bool(_of(receiver, first["id"])) and bool(_of(receiver, second["id"])))


async def test_the_scheduler_records_overdue_once(api: ApiClient, engine: AsyncEngine) -> None:
    invoice = await make_invoice(api, paymentTermsDays=0)
    base = f"/v1/invoices/{invoice['id']}"
    await api.create(f"{base}/line-items", {"name": "Work", "quantity": "1", "unitPrice": "5.00"})
    assert (await api.post(f"{base}/issue", json={"issueDate": "2026-01-02"})).status_code == 200
    await emit_overdue(engine)
    await emit_overdue(engine)
    query = f"/v1/events?resourceId={invoice['id']}&type=invoice.overdue"
    events = (await api.get(query)).json()["data"]
    assert len(events) == 1
    assert events[0]["payload"]["status"] == "overdue"
    assert events[0]["data"] == {"dueDate": "2026-01-02"}


async def test_deleting_an_endpoint_during_an_attempt_is_harmless(
    api: ApiClient, engine: AsyncEngine, private_allowed: Any
) -> None:
    arrived = threading.Event()

    def answer(_n: int, _r: Received) -> tuple[int, float]:
        arrived.set()
        return 200, 0.5  # the answer comes half a second later

    with receiving(answer) as receiver:
        endpoint = await _endpoint(api, receiver, ["invoice.created"])
        invoice = await make_invoice(api)
        deliverer = Deliverer(engine, FAST)
        try:
            attempt = asyncio.create_task(_until_sent(deliverer, receiver, invoice["id"]))
            assert await asyncio.to_thread(arrived.wait, 20)
            assert (await api.delete(f"/v1/webhook-endpoints/{endpoint['id']}")).status_code == 204
            await attempt
        finally:
            await deliverer.close()
    assert (await api.get(f"/v1/webhook-endpoints/{endpoint['id']}")).status_code == 404


async def _until_sent(deliverer: Deliverer, receiver: Receiver, invoice_id: str) -> None:
    while not _of_all(receiver, invoice_id):
        await deliverer.run_once()
        await asyncio.sleep(0.01)
