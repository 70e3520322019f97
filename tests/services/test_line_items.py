"""Adding a line without locking first (PostgreSQL): the invoice and group are read unlocked, and the
held writes go as one statement only if those rows are still the versions read and the invoice's waiting
``invoice.updated`` takes the new payload; otherwise nothing is written and the add runs again, locking.
On SQLite every add holds the database's write lock from its start."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db import models as m
from billfold.db.repository import Repository
from billfold.web import plumbing
from conftest import ApiClient, make_invoice, statements_sent


def _is_postgresql(api: ApiClient) -> bool:
    return bool(api.raw._transport.app.state.engine.dialect.name == "postgresql")  # type: ignore[attr-defined]


def _watch_guarded(monkeypatch: pytest.MonkeyPatch, *then: Any) -> list[bool]:
    """Each guarded statement sent, and whether it wrote (each of ``then`` runs before one of the first
    ones is sent, in order; not before the statements it sends itself)."""
    sent: list[bool] = []
    waiting = list(reversed(then))
    running: list[bool] = []
    real = Repository._write_guarded

    async def watched(self: Repository, *args: Any) -> None:
        if waiting and not running:
            running.append(True)
            try:
                await waiting.pop()()
            finally:
                running.pop()
        try:
            await real(self, *args)
        except BaseException:
            sent.append(False)
            raise
        sent.append(True)

    monkeypatch.setattr(Repository, "_write_guarded", watched)
    return sent


async def _events(api: ApiClient, base: str) -> list[dict[str, Any]]:
    response = await api.get(f"{base}/events")
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def test_a_draft_changed_after_the_unlocked_read_gets_the_line_added_again(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The add that lost its race is tried again, unlocked: its second read finds the line added
    meanwhile."""
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    # (its event now waits; the product "Item" is made)
    await api.create(f"{base}/line-items", {"name": "Item", "description": "first", "amount": "10.00"})

    async def add_meanwhile() -> None:
        await api.create(f"{base}/line-items", {"name": "Item", "description": "meanwhile", "amount": "5.00"})

    postgresql = _is_postgresql(api)
    sent = _watch_guarded(monkeypatch, add_meanwhile)
    late = {"name": "Item", "description": "late", "amount": "1.25"}
    headers = {"Idempotency-Key": "late-line"}
    response = await api.post(f"{base}/line-items", json=late, headers=headers)
    assert response.status_code == 201, response.text
    monkeypatch.undo()
    # the add made meanwhile went unlocked; the late one's first guarded statement wrote nothing, its
    # second wrote
    assert sent == ([True, False, True] if postgresql else [])
    full = (await api.get(base)).json()
    lines = full["standaloneLineItems"]
    expected = ["first", "meanwhile", "late"] if postgresql else ["first", "late"]
    assert [line["description"] for line in lines] == expected
    assert full["totalAmount"] == ("16.25" if postgresql else "11.25")
    assert Decimal(full["totalAmount"]) == sum(Decimal(line["totalAmount"]) for line in lines)
    assert response.json()["id"] == lines[-1]["id"]
    replayed = await api.post(f"{base}/line-items", json=late, headers=headers)
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert replayed.json() == response.json()
    events = await _events(api, base)
    updates = [event for event in events if event["type"] == "invoice.updated"]
    assert len(updates) == 1  # one waiting event, refreshed by every add
    assert updates[0]["payload"]["totalAmount"] == full["totalAmount"]


async def test_after_two_lost_races_the_invoices_adds_lock_for_a_while(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unlocked add that found its draft changed meanwhile twice (:data:`plumbing.UNLOCKED_TRIES`)
    is made again locking, and so are this process's next adds to that draft for
    :data:`plumbing.LOCKING_FOR_SECONDS` (their guarded statement is never sent); then adds go unlocked
    again. Another draft's adds are not concerned."""
    drafts = [await make_invoice(api) for _ in range(2)]
    bases = [f"/v1/invoices/{draft['id']}" for draft in drafts]
    line = {"name": "Item", "amount": "1.00"}
    for base in bases:  # (each draft's event now waits; the product is made)
        await api.create(f"{base}/line-items", line)

    async def add_meanwhile() -> None:
        await api.create(f"{bases[0]}/line-items", line)

    assert plumbing.UNLOCKED_TRIES == 2
    sent = _watch_guarded(monkeypatch, add_meanwhile, add_meanwhile)
    await api.create(f"{bases[0]}/line-items", line)  # loses its race twice, to the adds made meanwhile
    await api.create(f"{bases[0]}/line-items", line)  # locks: no guarded statement
    await api.create(f"{bases[1]}/line-items", line)  # the other draft: unlocked
    if not _is_postgresql(api):
        assert sent == []
        return
    assert sent == [True, False, True, False, True]
    monkeypatch.setattr(plumbing, "_LOCKING_UNTIL", {})  # the while is over
    await api.create(f"{bases[0]}/line-items", line)
    assert sent == [True, False, True, False, True, True]
    totals = [(await api.get(base)).json()["totalAmount"] for base in bases]
    assert totals == ["6.00", "2.00"]


async def test_which_adds_go_unlocked(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unlocked: an add whose invoice has a waiting ``invoice.updated`` and whose totals the running
    sums decide, into a group too. Locked: the draft's first add (its event is recorded), a line that
    names a product to be made."""
    sent = _watch_guarded(monkeypatch)
    unlocked = _is_postgresql(api)
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    await api.create(f"{base}/line-items", {"name": "Plain", "quantity": "3", "unitPrice": "1.005"})
    assert sent == []
    group = await api.create(f"{base}/line-item-groups", {"name": "Group"})  # (group writes lock)
    await api.create(f"{base}/line-items", {"name": "Plain", "quantity": "1", "unitPrice": "2"})
    await api.create(
        f"{base}/line-items", {"name": "Plain", "amount": "4.00", "lineItemGroupId": group["id"]}
    )
    assert sent == ([True, True] if unlocked else [])
    await api.create(f"{base}/line-items", {"name": "A product made now", "amount": "1.00"})
    assert sent == ([True, True] if unlocked else [])
    await api.create(f"{base}/line-items", {"name": "A product made now", "amount": "1.00"})
    assert sent == ([True, True, True] if unlocked else [])
    full = (await api.get(base)).json()
    events = await _events(api, base)
    assert events[-1]["type"] == "invoice.updated"
    assert events[-1]["payload"]["totalAmount"] == full["totalAmount"] == "11.02"
    assert sum(Decimal(line["totalAmount"]) for line in full["standaloneLineItems"]) + Decimal(
        full["lineItemGroups"][0]["totalAmount"]
    ) == Decimal(full["totalAmount"])


async def test_an_add_after_the_waiting_event_went_out_records_a_new_one(
    api: ApiClient, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, private_allowed: Any
) -> None:
    await api.create("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/hooks", "enabledEvents": ["*"]})
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    await api.create(f"{base}/line-items", {"name": "Item", "amount": "10.00"})
    await api.create(f"{base}/line-items", {"name": "Item", "amount": "5.00"})
    first = [event for event in await _events(api, base) if event["type"] == "invoice.updated"]
    assert len(first) == 1
    async with engine.begin() as connection:  # a deliverer tried it: it is no longer refreshed
        delivery = m.WebhookDelivery
        tried = update(delivery).where(delivery.event_id == uuid.UUID(first[0]["id"])).values(attempts=1)
        assert (await connection.execute(tried)).rowcount == 1
    sent = _watch_guarded(monkeypatch)
    await api.create(f"{base}/line-items", {"name": "Item", "amount": "1.00"})
    assert sent == []  # nothing to refresh: the add locks and records a new event
    await api.create(f"{base}/line-items", {"name": "Item", "amount": "2.00"})
    assert sent == ([True] if _is_postgresql(api) else [])  # the new one waits: refreshed unlocked
    updates = [event for event in await _events(api, base) if event["type"] == "invoice.updated"]
    assert [event["payload"]["totalAmount"] for event in updates] == ["15.00", "18.00"]


async def test_concurrent_adds_to_two_drafts_are_all_counted(api: ApiClient) -> None:
    """Adds racing on two drafts (one into a group), most unlocked, some losing their guard and added
    again locked: every line counted once, positions without gaps, each invoice's waiting event carrying
    its final totals."""
    drafts = [await make_invoice(api) for _ in range(2)]
    group = await api.create(f"/v1/invoices/{drafts[1]['id']}/line-item-groups", {"name": "G"})
    for draft in drafts:
        await api.create(f"/v1/invoices/{draft['id']}/line-items", {"name": "Seed", "amount": "1.00"})

    async def add(index: int) -> None:
        draft = drafts[index % 2]
        body: dict[str, object] = {"name": "Item", "quantity": str(index + 1), "unitPrice": "0.25"}
        if index % 4 == 1:
            body["lineItemGroupId"] = group["id"]
        response = await api.post(f"/v1/invoices/{draft['id']}/line-items", json=body)
        assert response.status_code == 201, response.text

    await asyncio.gather(*(add(index) for index in range(40)))
    for draft in drafts:
        base = f"/v1/invoices/{draft['id']}"
        full = (await api.get(base)).json()
        lines = full["standaloneLineItems"] + [
            line for grouped in full["lineItemGroups"] for line in grouped["lineItems"]
        ]
        assert len(lines) == 21
        assert Decimal(full["totalAmount"]) == sum(Decimal(line["totalAmount"]) for line in lines)
        for grouped in full["lineItemGroups"]:
            assert Decimal(grouped["totalAmount"]) == sum(
                Decimal(line["totalAmount"]) for line in grouped["lineItems"]
            )
        updates = [event for event in await _events(api, base) if event["type"] == "invoice.updated"]
        assert len(updates) == 1
        assert updates[0]["payload"]["totalAmount"] == full["totalAmount"]


async def test_a_plain_add_is_two_statements_and_no_transaction(api: ApiClient, engine: AsyncEngine) -> None:
    """On PostgreSQL: the caller's key with the idempotency record and the draft (one statement), then
    the guarded write; no BEGIN, no COMMIT. On SQLite the add is one transaction, as before."""
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}/line-items"
    await api.create(url, {"name": "Item", "amount": "1.00"})
    with statements_sent(engine) as statements:
        line = await api.create(url, {"name": "Item", "quantity": "2", "unitPrice": "0.50"})
    if _is_postgresql(api):
        assert len(statements) == 2, statements
        assert "FROM api_keys" in statements[0]
        assert "LATERAL" in statements[0]
        assert statements[1].startswith("WITH seen AS")
    assert line["totalAmount"] == "1.00"
    assert (await api.get(f"/v1/invoices/{invoice['id']}")).json()["totalAmount"] == "2.00"


async def test_an_unlocked_add_or_issue_holds_one_connection_at_a_time(
    api: ApiClient, engine: AsyncEngine
) -> None:
    """The driver's statements and the session's (a product looked up by id) never hold two of the
    pool's connections at once: with every request holding one and waiting for another, the pool would
    run dry."""
    product = await api.create("/v1/products", {"name": "Widget", "defaultUnitPrice": "2.00"})
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    await api.create(f"{base}/line-items", {"name": "Item", "amount": "10.00"})  # (its event waits)
    held = [0, 0]  # now, at most

    def out(*_: Any) -> None:
        held[0] += 1
        held[1] = max(held)

    def back(*_: Any) -> None:
        held[0] -= 1

    pool = engine.sync_engine.pool
    event.listen(pool, "checkout", out)
    event.listen(pool, "checkin", back)
    try:
        await api.create(f"{base}/line-items", {"productId": product["id"], "quantity": "2"})
        await api.create(f"{base}/line-items", {"name": "Item", "amount": "1.00"})
        await api.create(f"{base}/issue", {}, status=200)
    finally:
        event.remove(pool, "checkout", out)
        event.remove(pool, "checkin", back)
    assert held == [0, 1]
    assert (await api.get(base)).json()["totalAmount"] == "15.00"
