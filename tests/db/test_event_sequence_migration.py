"""Migration 0007 numbers the events already stored, per organization, in the order they happened."""

from __future__ import annotations

import uuid
from datetime import datetime

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, String, Uuid, column, table, update

from billfold.db.migrate import alembic_config, upgrade
from conftest import ApiClient, make_invoice, new_api_key, served


async def test_existing_events_are_numbered_in_order_and_the_counter_continues(fresh_url: str) -> None:
    async with served(fresh_url) as (engine, api):
        other = ApiClient(api.raw, await new_api_key(engine, "Other"))
        paid = await make_invoice(api)
        await api.create(f"/v1/invoices/{paid['id']}/line-items", {"name": "Free", "amount": "0.00"})
        await api.post(f"/v1/invoices/{paid['id']}/issue", json={"issueDate": "2026-03-15"})
        later = await make_invoice(api)
        elsewhere = await make_invoice(other)
        parent = ScriptDirectory.from_config(alembic_config(fresh_url)).get_revision("0007").down_revision
        await engine.dispose()
        command.downgrade(alembic_config(fresh_url), str(parent))
        events = table(
            "invoice_events",
            column("id", Uuid()),
            column("type", String()),
            column("created_at", DateTime()),
            column("invoice_id", Uuid()),
        )
        async with engine.begin() as connection:
            # as the old code wrote them: one timestamp, ids in any order for issued/paid
            for invoice, hour in ((paid, 10), (later, 11)):
                await connection.execute(
                    update(events)
                    .where(events.c.invoice_id == uuid.UUID(str(invoice["id"])))
                    .values(created_at=datetime(2026, 3, 15, hour))
                )
            # the worst case: "paid" has the smallest id of all
            await connection.execute(
                update(events).where(events.c.type == "paid").values(id=uuid.UUID(int=1))
            )
        await engine.dispose()
        upgrade(fresh_url, "0007")
        upgrade(fresh_url)
        events = (await api.get(f"/v1/invoices/{paid['id']}/events")).json()["data"]
        assert [(e["type"], e["sequence"]) for e in events] == [
            ("invoice.created", 1),
            ("invoice.updated", 2),
            ("invoice.issued", 3),
            ("invoice.paid", 4),
        ]
        events = (await api.get(f"/v1/invoices/{later['id']}/events")).json()["data"]
        assert [(e["type"], e["sequence"]) for e in events] == [("invoice.created", 5)]
        assert await api.post(f"/v1/invoices/{later['id']}/cancel", json={})
        events = (await api.get(f"/v1/invoices/{later['id']}/events")).json()["data"]
        assert [(e["type"], e["sequence"]) for e in events] == [
            ("invoice.created", 5),
            ("invoice.canceled", 6),
        ]
        events = (await other.get(f"/v1/invoices/{elsewhere['id']}/events")).json()["data"]
        assert [(e["type"], e["sequence"]) for e in events] == [("invoice.created", 1)]
