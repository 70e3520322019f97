"""The counters are the last thing an issue touches: on PostgreSQL the statement that draws the number
(and numbers the events) is the last before COMMIT, and what it wrote agrees with itself."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import ApiClient, make_invoice, new_api_key


async def test_the_counter_is_the_last_statement_before_commit(
    api: ApiClient, engine: AsyncEngine, private_allowed: Any
) -> None:
    invoice = await make_invoice(api)
    await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Item", "amount": "5.00"})
    await api.create("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/hooks"})
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    def commit(_conn: Any) -> None:
        statements.append("COMMIT")

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    event.listen(engine.sync_engine, "commit", commit)
    try:
        response = await api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": "2026-06-01"})
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
        event.remove(engine.sync_engine, "commit", commit)
    assert response.status_code == 200, response.text
    counters = [i for i, s in enumerate(statements) if "number_counters" in s]
    assert counters, statements
    taken = counters[0]
    if engine.dialect.name == "postgresql":
        # one statement draws the number, writes it and the numbered events and deliveries
        assert statements[taken:] == [statements[taken], "COMMIT"]
        assert "INSERT INTO invoice_events" in statements[taken]
        assert "INSERT INTO webhook_deliveries" in statements[taken]
        # the invoice was read without a lock: that statement locks it, if it is still the one read
        assert [s for s in statements if "FOR UPDATE" in s] == [statements[taken]]
    else:
        # SQLite: the write lock is held from BEGIN IMMEDIATE; the number is still drawn at the end
        assert not any("SELECT invoices" in s or "line_items" in s for s in statements[taken:])
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT e.sequence, d.event_sequence, e.payload FROM invoice_events e"
                    " JOIN webhook_deliveries d ON d.organization_id = e.organization_id"
                    " AND d.event_id = e.id WHERE e.invoice_id = :invoice AND e.type = 'invoice.issued'"
                ),
                {"invoice": invoice["id"] if engine.dialect.name == "postgresql" else _hex(invoice["id"])},
            )
        ).all()
    assert len(rows) == 1
    sequence, delivered_sequence, payload = rows[0]
    assert sequence == delivered_sequence
    assert '"INV-2026-000001"' in (payload if isinstance(payload, str) else str(payload).replace("'", '"'))


def _hex(value: object) -> str:
    return str(value).replace("-", "")


async def test_the_fan_out_follows_each_endpoints_subscription_and_organization(
    api: ApiClient, engine: AsyncEngine, private_allowed: Any
) -> None:
    """One delivery per event and enabled endpoint of the event's organization subscribed to its type
    (or to ``*``); a test event goes to its endpoint alone. Each delivery's id is time-ordered (UUID
    version 7, of this moment) and it waits behind the events of the same invoice."""
    url = "http://127.0.0.1:9/hooks"
    everything = await api.create("/v1/webhook-endpoints", {"url": url, "enabledEvents": ["*"]})
    issued_only = await api.create("/v1/webhook-endpoints", {"url": url, "enabledEvents": ["invoice.issued"]})
    disabled = await api.create(
        "/v1/webhook-endpoints", {"url": url, "enabledEvents": ["*"], "disabled": True}
    )
    elsewhere = await api.create("/v1/webhook-endpoints", {"url": url, "enabledEvents": ["invoice.created"]})
    other = ApiClient(api.raw, await new_api_key(engine, "Other fan-out"))
    theirs = await other.create("/v1/webhook-endpoints", {"url": url, "enabledEvents": ["*"]})
    before = time.time()
    invoice = await make_invoice(api)
    await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Item", "amount": "5.00"})
    await api.create(f"/v1/invoices/{invoice['id']}/issue", {"issueDate": "2026-06-01"}, status=200)
    test_event = await api.create(f"/v1/webhook-endpoints/{issued_only['id']}/test", {}, status=200)

    async def delivered(client: ApiClient, endpoint: dict[str, Any]) -> list[str]:
        path = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries?limit=100"
        return sorted(d["eventId"] for d in (await client.get(path)).json()["data"])

    events = (await api.get("/v1/events?limit=100")).json()["data"]
    of_type = {
        kind: sorted(e["id"] for e in events if e["type"] == kind) for kind in {e["type"] for e in events}
    }
    assert test_event["type"] == "webhook.test"
    assert await delivered(api, everything) == sorted(e["id"] for e in events if e["type"] != "webhook.test")
    assert await delivered(api, issued_only) == sorted(of_type["invoice.issued"] + [test_event["id"]])
    assert await delivered(api, disabled) == []
    assert await delivered(api, elsewhere) == of_type["invoice.created"]
    assert await delivered(other, theirs) == []
    path = f"/v1/webhook-endpoints/{everything['id']}/deliveries?limit=100"
    for delivery in (await api.get(path)).json()["data"]:
        made = uuid.UUID(delivery["id"])
        assert made.version == 7
        assert before - 1 <= (made.int >> 80) / 1000 <= time.time() + 1
