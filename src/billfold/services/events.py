"""The one writer of events: every state change records its event here, in the change's transaction.

An event is numbered by a per-organization ``sequence``, so the order of events never depends on
timestamps (an invoice paid on issue has ``invoice.created``, ``invoice.issued``, ``invoice.paid`` in that
order even when all three share a millisecond). The numbers are drawn when the unit of work commits
(:mod:`billfold.db.numbering`): the statement that advances the organization's counter row (``INSERT ...
ON CONFLICT DO UPDATE ... RETURNING``, row-locked on PostgreSQL, under ``BEGIN IMMEDIATE`` on SQLite)
numbers every event of the transaction in the order they were recorded; on PostgreSQL the same statement
inserts them with their deliveries (and draws an issued invoice's number first). Taking the counter last
keeps its lock for one statement and the commit, and means no transaction ever waits for another lock
while holding it; sequences also follow commit order, so a reader that has seen sequence ``n`` never
later finds a smaller one appear.

The events table is the outbox: in the same commit, each event gets one ``webhook_deliveries`` row per
enabled endpoint of its organization that subscribes to its type (:meth:`Repository.add_events`), so an
event is delivered exactly when its change is committed, and never for a change that rolled back.

Types are ``resource.action`` (:data:`EVENT_TYPES`). Each event keeps its resource's ``payload`` as the
native API renders it at that moment. Services cannot import the API's renderers, so the app registers
them at start-up in :data:`payload_renderers` (one per resource type; ``billfold.api.payloads``); a
process that registered none (a bare service call in a test) stores ``{"id", "object"}``. An invoice's
payload is the invoice as ``GET /v1/invoices`` lists it (every field but its groups and lines), so
recording an event never re-reads an invoice's lines and every write stays O(1).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from billfold.db import driver
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor

INVOICE_EVENTS = (
    "invoice.created",
    "invoice.updated",
    "invoice.in_review",
    "invoice.reopened",
    "invoice.issued",
    "invoice.payment_recorded",
    "invoice.paid",
    "invoice.overdue",
    "invoice.voided",
    "invoice.canceled",
)
EVENT_TYPES = (
    *INVOICE_EVENTS,
    "credit_note.created",
    "credit_note.voided",
    "refund.created",
    "customer.credit_balance_changed",
    "webhook.test",
)
RESOURCE_TYPES = ("invoice", "credit_note", "refund", "customer", "webhook_endpoint")
# The event of a move to each status (``draft`` is only ever reached by reopening).
TRANSITION_EVENTS = {
    "draft": "invoice.reopened",
    "in_review": "invoice.in_review",
    "issued": "invoice.issued",
    "paid": "invoice.paid",
    "void": "invoice.voided",
    "canceled": "invoice.canceled",
}

# resource type -> renders the resource (its loaded row when the caller has it, else its id) as the
# native API shows it. Filled by the app at start-up (see the module docstring).
PayloadRenderer = Callable[[UnitOfWork, Actor, Any], Awaitable[dict[str, Any]]]
payload_renderers: dict[str, PayloadRenderer] = {}


async def render_payload(uow: UnitOfWork, actor: Actor, resource_type: str, resource: Any) -> dict[str, Any]:
    renderer = payload_renderers.get(resource_type)
    if renderer is None:
        resource_id = resource if isinstance(resource, uuid.UUID) else resource.id
        return {"id": str(resource_id), "object": resource_type}
    return await renderer(uow, actor, resource)


async def record_resource_event(
    uow: UnitOfWork,
    actor: Actor,
    resource_type: str,
    resource_id: uuid.UUID,
    kind: str,
    payload: dict[str, Any] | None = None,
    invoice_id: uuid.UUID | None = None,
    *,
    data: dict[str, Any] | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    at: datetime | None = None,
    only_endpoint: uuid.UUID | None = None,
    place: int | None = None,
) -> m.InvoiceEvent:
    """Record that a resource changed (``kind``, e.g. ``credit_note.created``); numbered, written and
    fanned out to the organization's endpoints when the transaction commits. Without ``payload`` the
    registered renderer of ``resource_type`` renders it now. ``invoice_id`` puts the event in that
    invoice's log (and orders its deliveries with the invoice's). ``only_endpoint`` sends it to that
    one endpoint instead of every subscribed one (a test event); ``place``: the place in the events'
    order :meth:`UnitOfWork.reserve_event` kept for it."""
    if payload is None:
        payload = await render_payload(uow, actor, resource_type, resource_id)
    row = driver.transient(
        m.InvoiceEvent,
        {
            "id": new_id(),
            "organization_id": actor.organization_id,
            "invoice_id": invoice_id,
            "resource_type": resource_type,
            "resource_id": resource_id,
            "type": kind,
            "from_status": from_status,
            "to_status": to_status,
            "api_key_id": actor.api_key_id,
            "data": data or {},
            "payload": payload,
            "created_at": at or utcnow(),
        },
    )
    uow.record_event(row, only_endpoint=only_endpoint, place=place)
    return row


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
    """Record that ``invoice`` changed (``kind``: ``invoice.issued``...), with the invoice as it now is."""
    return await record_resource_event(
        uow,
        actor,
        "invoice",
        invoice.id,
        kind,
        await render_payload(uow, actor, "invoice", invoice),
        invoice.id,
        data=data,
        from_status=from_status,
        to_status=to_status,
        at=at,
    )


async def invoice_updated(uow: UnitOfWork, actor: Actor, invoice: m.Invoice) -> None:
    """A draft's content is about to change (lines, groups, adjustments, fields; every such write locks
    the invoice through ``lock_editable_invoice``, which calls this): ``invoice.updated``, coalesced,
    its payload rendered when the transaction is about to commit (the draft as the change left it).

    The rule: an invoice has at most one ``invoice.updated`` waiting. When its latest event (in this
    transaction, else in the log) is an ``invoice.updated`` that no deliverer has picked up yet (none
    of its deliveries leased, attempted or finished), that event's payload is brought up to date
    instead of a new event being written; otherwise (it went out, or a transition came since) a new one
    is recorded. So a burst of 100 line edits is one event carrying the draft after the last of them.
    A client polling ``GET /v1/events`` may have read that event before its payload was refreshed: it
    reads the invoice itself for its current content.

    Nothing is read now: at commit (the invoice's row still locked) one statement refreshes the waiting
    event if there is one (with the held writes of an add: :meth:`Repository.refresh_waiting_update`),
    and a new event is recorded only when it finds none, in the place this call kept in the
    transaction's events (the events recorded after it stay after it).
    """
    if invoice.status != "draft":
        return
    for row in reversed(uow.recorded_events()):
        if row.invoice_id == invoice.id:
            if row.type == "invoice.updated":
                return
            break
    else:
        if invoice.id not in uow.decided_at_commit:  # one decision covers the transaction's changes
            uow.decided_at_commit.add(invoice.id)
            uow.before_commit(_refresh_or_record(uow, actor, invoice, uow.reserve_event()))
        return
    row = await record_resource_event(uow, actor, "invoice", invoice.id, "invoice.updated", {}, invoice.id)

    async def render() -> None:
        row.payload = await render_payload(uow, actor, "invoice", invoice)

    uow.before_commit(render)


def _refresh_or_record(
    uow: UnitOfWork, actor: Actor, invoice: m.Invoice, place: int
) -> Callable[[], Awaitable[None]]:
    async def decide() -> None:
        payload = await render_payload(uow, actor, "invoice", invoice)
        outcome = await uow.repo.refresh_waiting_update(actor.organization_id, invoice.id, payload)

        async def settle() -> None:
            if not outcome.refreshed:
                await record_resource_event(
                    uow, actor, "invoice", invoice.id, "invoice.updated", payload, invoice.id, place=place
                )

        uow.after_held_writes(settle)

    return decide


async def credit_balance_changed(
    uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID, currency: str
) -> None:
    """``customer.credit_balance_changed``: once per customer and currency per transaction, its payload
    (the customer with its balances) rendered as the transaction leaves them."""
    for row in uow.recorded_events():
        if (
            row.type == "customer.credit_balance_changed"
            and row.resource_id == customer_id
            and row.data.get("currency") == currency
        ):
            return
    row = await record_resource_event(
        uow,
        actor,
        "customer",
        customer_id,
        "customer.credit_balance_changed",
        {},
        data={"currency": currency},
    )

    async def render() -> None:
        row.payload = await render_payload(uow, actor, "customer", customer_id)

    uow.before_commit(render)
