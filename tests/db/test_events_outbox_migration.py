"""Migration 0013 turns the invoice event log into the outbox: old types become ``resource.action``, every
old event names its invoice as its resource, and the downgrade gives the old types back."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from billfold.db.engine import make_engine
from billfold.db.migrate import alembic_config, upgrade
from conftest import make_invoice, served


async def _types(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(sa.text("SELECT type FROM invoice_events ORDER BY sequence"))
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


async def test_old_event_types_become_dotted_and_back(fresh_url: str) -> None:
    async with served(fresh_url) as (engine, api):
        invoice = await make_invoice(api)
        base = f"/v1/invoices/{invoice['id']}"
        await api.create(f"{base}/line-items", {"name": "Work", "quantity": "1", "unitPrice": "10.00"})
        await api.post(f"{base}/review", json={})
        await api.post(f"{base}/reopen", json={})
        await api.post(f"{base}/issue", json={})
        await api.create(f"{base}/payments", {"amount": "4.00"})
        # an invoice with payments cannot be voided: void another one
        other = f"/v1/invoices/{(await make_invoice(api))['id']}"
        await api.create(f"{other}/line-items", {"name": "Work", "quantity": "1", "unitPrice": "10.00"})
        await api.post(f"{other}/issue", json={})
        voided = await api.post(f"{other}/void", json={"reason": "wrong customer"})
        assert voided.status_code == 200, voided.text
        await api.create("/v1/webhook-endpoints", {"url": "https://93.184.215.14/x", "disabled": True})
        await engine.dispose()
        before = ScriptDirectory.from_config(alembic_config(fresh_url)).get_revision("0013").down_revision
        command.downgrade(alembic_config(fresh_url), str(before))
        # an event type the old code did not have keeps its name
        assert await _types(fresh_url) == [
            "created",
            "invoice.updated",
            "in_review",
            "reopened",
            "issued",
            "payment_recorded",
            "created",
            "invoice.updated",
            "issued",
            "void",
        ]
        await engine.dispose()
        upgrade(fresh_url)
        events = (await api.get(f"{base}/events")).json()["data"]
        assert [e["type"] for e in events] == [
            "invoice.created",
            "invoice.updated",
            "invoice.in_review",
            "invoice.reopened",
            "invoice.issued",
            "invoice.payment_recorded",
        ]
        voided_log = (await api.get(f"{other}/events")).json()["data"]
        assert voided_log[-1]["type"] == "invoice.voided"
        assert {(e["resourceType"], e["resourceId"]) for e in events} == {("invoice", invoice["id"])}
        assert {e["payload"] is None for e in events} == {True}
        # the log goes on after the migration, numbered after the old events
        later = await make_invoice(api)
        created = (await api.get(f"/v1/events?resourceId={later['id']}")).json()["data"]
        assert created[0]["sequence"] > events[-1]["sequence"]
        assert created[0]["payload"]["id"] == later["id"]
