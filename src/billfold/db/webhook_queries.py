"""The repository's queries about events, webhook endpoints and deliveries (a part of
:class:`billfold.db.repository.Repository`, kept apart to keep each module small). Every one is scoped
by organization; the deliverer's cross-organization claim lives in :mod:`billfold.db.outbox`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billfold.db import models as m
from billfold.db.ids import new_id


def new_delivery(
    event: m.InvoiceEvent, endpoint_id: uuid.UUID, ordering_key: uuid.UUID | None
) -> dict[str, Any]:
    """A new pending delivery of ``event`` to the endpoint, due now. Its ordering key: the event's
    invoice, else its resource (or the given key: a test or resend is ordered with nothing)."""
    return {
        "id": new_id(),
        "organization_id": event.organization_id,
        "endpoint_id": endpoint_id,
        "event_id": event.id,
        "event_sequence": event.sequence,
        "ordering_key": ordering_key or event.invoice_id or event.resource_id,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": event.created_at,
        "lease_until": None,
        "lease_owner": None,
        "last_status_code": None,
        "last_error": None,
        "delivered_at": None,
        "created_at": event.created_at,
        "updated_at": event.created_at,
    }


class WebhookQueries:
    session: AsyncSession

    async def enabled_endpoints(self, organization_id: uuid.UUID) -> list[tuple[uuid.UUID, list[str]]]:
        """The organization's enabled webhook endpoints: ``(id, enabled events)``."""
        table = cast(Table, m.WebhookEndpoint.__table__)
        statement = select(table.c.id, table.c.enabled_events).where(
            table.c.organization_id == organization_id, table.c.status == "enabled"
        )
        return [(row[0], list(row[1])) for row in (await self.session.execute(statement)).all()]

    async def events_page(
        self,
        organization_id: uuid.UUID,
        *,
        after_sequence: int,
        limit: int,
        type: str | None = None,
        resource_type: str | None = None,
        resource_id: uuid.UUID | None = None,
    ) -> tuple[list[m.InvoiceEvent], bool]:
        """The organization's events after ``after_sequence``, oldest first; and whether more follow."""
        event = m.InvoiceEvent
        statement = select(event).where(
            event.organization_id == organization_id, event.sequence > after_sequence
        )
        if type is not None:
            statement = statement.where(event.type == type)
        if resource_type is not None:
            statement = statement.where(event.resource_type == resource_type)
        if resource_id is not None:
            statement = statement.where(event.resource_id == resource_id)
        rows = list(
            (await self.session.execute(statement.order_by(event.sequence).limit(limit + 1))).scalars()
        )
        return rows[:limit], len(rows) > limit

    async def event_types(
        self, organization_id: uuid.UUID, event_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        if not event_ids:
            return {}
        table = cast(Table, m.InvoiceEvent.__table__)
        statement = select(table.c.id, table.c.type).where(
            table.c.organization_id == organization_id, table.c.id.in_(event_ids)
        )
        return {row[0]: row[1] for row in (await self.session.execute(statement)).all()}

    async def attempts_of(
        self, organization_id: uuid.UUID, delivery_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[m.WebhookAttempt]]:
        """Each delivery's attempts, oldest first."""
        if not delivery_ids:
            return {}
        statement = (
            select(m.WebhookAttempt)
            .where(
                m.WebhookAttempt.organization_id == organization_id,
                m.WebhookAttempt.delivery_id.in_(delivery_ids),
            )
            .order_by(m.WebhookAttempt.id)
        )
        found: dict[uuid.UUID, list[m.WebhookAttempt]] = {}
        for row in (await self.session.execute(statement)).scalars():
            found.setdefault(row.delivery_id, []).append(row)
        return found

    async def fail_pending_deliveries(
        self, organization_id: uuid.UUID, endpoint_id: uuid.UUID, reason: str, now: datetime
    ) -> None:
        table = cast(Table, m.WebhookDelivery.__table__)
        await self.session.execute(
            update(table)
            .where(
                table.c.organization_id == organization_id,
                table.c.endpoint_id == endpoint_id,
                table.c.status == "pending",
            )
            .values(status="failed", last_error=reason, lease_until=None, lease_owner=None, updated_at=now)
        )

    async def requeue_failed_deliveries(
        self, organization_id: uuid.UUID, endpoint_id: uuid.UUID, since: datetime, now: datetime
    ) -> int:
        table = cast(Table, m.WebhookDelivery.__table__)
        result = await self.session.execute(
            update(table)
            .where(
                table.c.organization_id == organization_id,
                table.c.endpoint_id == endpoint_id,
                table.c.status == "failed",
                table.c.created_at >= since,
            )
            .values(status="pending", attempts=0, next_attempt_at=now, lease_until=None, updated_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_endpoint(self, organization_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
        """The endpoint, its deliveries and their attempts."""
        deliveries = cast(Table, m.WebhookDelivery.__table__)
        attempts = cast(Table, m.WebhookAttempt.__table__)
        of_endpoint = select(deliveries.c.id).where(
            deliveries.c.organization_id == organization_id, deliveries.c.endpoint_id == endpoint_id
        )
        await self.session.execute(
            delete(attempts).where(
                attempts.c.organization_id == organization_id, attempts.c.delivery_id.in_(of_endpoint)
            )
        )
        await self.session.execute(
            delete(deliveries).where(
                deliveries.c.organization_id == organization_id, deliveries.c.endpoint_id == endpoint_id
            )
        )
        endpoints = cast(Table, m.WebhookEndpoint.__table__)
        await self.session.execute(
            delete(endpoints).where(
                endpoints.c.organization_id == organization_id, endpoints.c.id == endpoint_id
            )
        )
