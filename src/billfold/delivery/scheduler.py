"""Time-driven events: ``invoice.overdue``, once per invoice, when an issued invoice passes its due date
in its organization's time zone.

The event itself is the mark: an invoice is due for the event while it is issued, past due and has no
``invoice.overdue`` in its log, and the event is recorded in the transaction that finds it (the invoice
row-locked). One pass runs at a time (a PostgreSQL advisory lock held by the pass's transaction;
SQLite's single writer), and nothing lives in memory, so restarts and several workers change nothing.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db.outbox import Outbox
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.events import record_event

BATCH = 200


async def emit_overdue(engine: AsyncEngine, limit: int = BATCH) -> int:
    """One pass: record ``invoice.overdue`` for up to ``limit`` invoices; how many."""
    count = 0
    async with UnitOfWork(engine) as uow:
        outbox = Outbox(uow.session)
        if not await outbox.scheduler_lock():
            return 0
        for organization_id, time_zone in await outbox.organizations():
            actor = Actor(organization_id, None, time_zone=time_zone)
            for invoice in await outbox.newly_overdue(organization_id, actor.today(), limit - count):
                due = invoice.due_date.isoformat() if invoice.due_date else None
                await record_event(uow, actor, invoice, "invoice.overdue", None, None, {"dueDate": due})
                count += 1
            if count >= limit:
                break
        await uow.commit()
    return count
