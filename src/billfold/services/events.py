"""The one writer of events: every state change records its event here, in the change's transaction.

An event is numbered by a per-organization ``sequence``, so the order of events never depends on
timestamps (an invoice paid on issue has ``created``, ``issued``, ``paid`` in that order even when all
three share a millisecond). The numbers are drawn when the unit of work commits: one statement that
advances the organization's counter row (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, row-locked on
PostgreSQL, under ``BEGIN IMMEDIATE`` on SQLite) numbers every event of the transaction in the order they
were recorded. Taking the counter last keeps its lock for one statement and the commit, and means no
transaction ever waits for another lock while holding it; sequences also follow commit order, so a reader
that has seen sequence ``n`` never later finds a smaller one appear. The events table is the outbox the
webhook delivery will read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor


async def record_event(
    uow: UnitOfWork,
    actor: Actor,
    invoice: m.Invoice,
    kind: str,
    from_status: str | None,
    to_status: str | None,
    data: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> m.InvoiceEvent:
    """Record that ``invoice`` changed (``kind``); numbered and written when the transaction commits."""
    row = m.InvoiceEvent(
        id=new_id(),
        organization_id=actor.organization_id,
        invoice_id=invoice.id,
        type=kind,
        from_status=from_status,
        to_status=to_status,
        api_key_id=actor.api_key_id,
        data=data or {},
        created_at=at or utcnow(),
    )
    uow.record_event(row)
    return row
