"""The deliverer's and the scheduler's queries: the few that look across organizations.

Claiming due deliveries is the one read that cannot name an organization (a deliverer serves every
organization). Everything it does after the claim names the organization of the row it claimed. On
PostgreSQL the claim locks the rows it picks with ``FOR UPDATE SKIP LOCKED`` and leases them
(``lease_until``), so any number of deliverers share the work and none waits for another; on SQLite the
claim runs under ``BEGIN IMMEDIATE`` (one writer at a time), which gives the same guarantee.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, exists, func, or_, select, tuple_, update
from sqlalchemy import insert as insert_statement
from sqlalchemy.ext.asyncio import AsyncSession

from billfold.db import models as m

DELIVERIES = cast(Table, m.WebhookDelivery.__table__)
EVENTS = cast(Table, m.InvoiceEvent.__table__)
ENDPOINTS = cast(Table, m.WebhookEndpoint.__table__)
ATTEMPTS = cast(Table, m.WebhookAttempt.__table__)
# pg_try_advisory_xact_lock key of the scheduler ("billfold" in ASCII, as a number)
SCHEDULER_LOCK = 0x62696C6C666F6C64


@dataclass(frozen=True, slots=True)
class Claimed:
    """A leased delivery with what sending it needs."""

    organization_id: uuid.UUID
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    attempts: int
    event_type: str
    event_created_at: datetime
    payload: dict[str, Any] | None
    url: str
    endpoint_status: str
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None


class Outbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, now: datetime, lease_until: datetime, owner: str, limit: int) -> list[Claimed]:
        """Lease up to ``limit`` due deliveries. A delivery is due when it is pending, its time has
        come, no deliverer holds it, and no earlier delivery (by event sequence) to the same endpoint
        with the same ordering key is still pending (so one invoice's events go out in order, and a
        slow invoice holds up only itself)."""
        d, e = DELIVERIES, DELIVERIES.alias("earlier")
        earlier = exists().where(
            e.c.organization_id == d.c.organization_id,
            e.c.endpoint_id == d.c.endpoint_id,
            e.c.ordering_key == d.c.ordering_key,
            e.c.status == "pending",
            e.c.event_sequence < d.c.event_sequence,
        )
        statement = (
            select(d.c.organization_id, d.c.id)
            .where(
                d.c.status == "pending",
                d.c.next_attempt_at <= now,
                or_(d.c.lease_until.is_(None), d.c.lease_until < now),
                ~earlier,
            )
            .order_by(d.c.next_attempt_at)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True, of=d)
        picked = [(row[0], row[1]) for row in (await self.session.execute(statement)).all()]
        if not picked:
            return []
        await self.session.execute(
            update(d)
            .where(tuple_(d.c.organization_id, d.c.id).in_(picked))
            .values(lease_until=lease_until, lease_owner=owner)
        )
        return await self._load(picked)

    async def any_due(self, now: datetime) -> bool:
        """Whether some pending delivery's time has come (a cheap read before a claim's write)."""
        d = DELIVERIES
        statement = (
            select(d.c.id)
            .where(
                d.c.status == "pending",
                d.c.next_attempt_at <= now,
                or_(d.c.lease_until.is_(None), d.c.lease_until < now),
            )
            .limit(1)
        )
        return (await self.session.execute(statement)).first() is not None

    async def _load(self, picked: list[tuple[uuid.UUID, uuid.UUID]]) -> list[Claimed]:
        d, ev, ep = DELIVERIES, EVENTS, ENDPOINTS
        statement = (
            select(
                d.c.organization_id,
                d.c.id,
                d.c.endpoint_id,
                d.c.event_id,
                d.c.attempts,
                ev.c.type,
                ev.c.created_at,
                ev.c.payload,
                ep.c.url,
                ep.c.status,
                ep.c.secret,
                ep.c.previous_secret,
                ep.c.previous_secret_expires_at,
            )
            .join(ev, and_(ev.c.organization_id == d.c.organization_id, ev.c.id == d.c.event_id))
            .join(ep, and_(ep.c.organization_id == d.c.organization_id, ep.c.id == d.c.endpoint_id))
            .where(tuple_(d.c.organization_id, d.c.id).in_(picked))
        )
        return [Claimed(*row) for row in (await self.session.execute(statement)).all()]  # type: ignore[call-arg]

    async def finish(self, claimed: Claimed, owner: str, values: dict[str, Any]) -> bool:
        """Write the attempt's outcome on the delivery, if this deliverer still holds its lease."""
        d = DELIVERIES
        result = await self.session.execute(
            update(d)
            .where(
                d.c.organization_id == claimed.organization_id,
                d.c.id == claimed.delivery_id,
                d.c.lease_owner == owner,
                d.c.status == "pending",
            )
            .values(lease_until=None, lease_owner=None, **values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def add_attempt(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert_statement(ATTEMPTS), values)

    async def endpoint_succeeded(self, organization_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
        await self.session.execute(
            update(ENDPOINTS)
            .where(
                ENDPOINTS.c.organization_id == organization_id,
                ENDPOINTS.c.id == endpoint_id,
                ENDPOINTS.c.failing_since.is_not(None),
            )
            .values(failing_since=None)
        )

    async def endpoint_failed(
        self, organization_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime, disable_before: datetime
    ) -> bool:
        """Note the failure: the endpoint starts failing now, unless it already was; when it has been
        failing since before ``disable_before`` it is ``auto_disabled`` and its pending deliveries
        fail. Whether it was disabled."""
        ep = ENDPOINTS
        scope = (ep.c.organization_id == organization_id, ep.c.id == endpoint_id)
        await self.session.execute(
            update(ep).where(*scope, ep.c.failing_since.is_(None)).values(failing_since=now)
        )
        result = await self.session.execute(
            update(ep)
            .where(*scope, ep.c.status == "enabled", ep.c.failing_since <= disable_before)
            .values(
                status="auto_disabled",
                disabled_reason="every delivery failed for 24 hours",
                updated_at=now,
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        await self.session.execute(
            update(DELIVERIES)
            .where(
                DELIVERIES.c.organization_id == organization_id,
                DELIVERIES.c.endpoint_id == endpoint_id,
                DELIVERIES.c.status == "pending",
            )
            .values(status="failed", last_error="the endpoint was disabled after failing for 24 hours")
        )
        return True

    # -- the scheduler ---------------------------------------------------------------------------

    async def scheduler_lock(self) -> bool:
        """Whether this transaction is the one scheduler pass running now (PostgreSQL: an advisory
        lock held until the transaction ends; SQLite: ``BEGIN IMMEDIATE`` already serialises it)."""
        if self.session.get_bind().dialect.name != "postgresql":
            return True
        statement = select(func.pg_try_advisory_xact_lock(SCHEDULER_LOCK))
        return bool((await self.session.execute(statement)).scalar_one())

    async def organizations(self) -> list[tuple[uuid.UUID, str]]:
        statement = select(m.Organization.id, m.Organization.time_zone).order_by(m.Organization.id)
        return [(row[0], row[1]) for row in (await self.session.execute(statement)).all()]

    async def newly_overdue(self, organization_id: uuid.UUID, today: date, limit: int) -> list[m.Invoice]:
        """The organization's issued invoices past their due date with no ``invoice.overdue`` event
        yet, row-locked."""
        invoice, event = m.Invoice, m.InvoiceEvent
        told = exists().where(
            event.organization_id == invoice.organization_id,
            event.invoice_id == invoice.id,
            event.type == "invoice.overdue",
        )
        statement = (
            select(invoice)
            .where(
                invoice.organization_id == organization_id,
                invoice.status == "issued",
                invoice.due_date < today,
                ~told,
            )
            .order_by(invoice.id)
            .limit(limit)
            .with_for_update()
        )
        return list((await self.session.execute(statement)).scalars())
