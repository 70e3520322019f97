"""The native renderings events carry as their payload, registered with :mod:`billfold.services.events`.

Services cannot import the API (the layers point the other way), so the app hands them its renderers at
start-up (:func:`register`): an event's payload is then the resource exactly as this API renders it.
``create_app`` and ``billfold worker`` call :func:`register`; it is idempotent.
"""

from __future__ import annotations

import uuid
from typing import Any

from billfold.api import credit_note_render, render
from billfold.db import models as m
from billfold.db.uow import UnitOfWork
from billfold.services import credit_note_reads, credits, events
from billfold.services.context import Actor
from billfold.services.currencies import currency


async def invoice_payload(uow: UnitOfWork, actor: Actor, resource: m.Invoice | uuid.UUID) -> dict[str, Any]:
    """The invoice as ``GET /v1/invoices`` lists it (every field but its groups and lines)."""
    if isinstance(resource, m.Invoice):
        row: m.Invoice | None = resource
    else:
        row = await uow.repo.get(m.Invoice, actor.organization_id, resource)
    if row is None:
        return {"id": str(resource), "object": "invoice"}
    return render.invoice_summary(row, currency(row.currency), actor.today())


async def customer_payload(uow: UnitOfWork, actor: Actor, resource: m.Customer | uuid.UUID) -> dict[str, Any]:
    """The customer with its credit balances (as ``GET /v1/customers/{id}/credits`` shows them)."""
    customer_id = resource if isinstance(resource, uuid.UUID) else resource.id
    await uow.session.flush()
    row = await uow.repo.get(m.Customer, actor.organization_id, customer_id)
    if row is None:
        return {"id": str(customer_id), "object": "customer"}
    balances = render.credit_balances(await credits.balances(uow, actor, customer_id, known=row))
    return {**render.customer(row), "creditBalances": balances}


async def credit_note_payload(
    uow: UnitOfWork, actor: Actor, resource: m.CreditNote | uuid.UUID
) -> dict[str, Any]:
    """The credit note as ``GET /v1/credit-notes/{id}`` answers it."""
    note_id = resource if isinstance(resource, uuid.UUID) else resource.id
    return credit_note_render.view(await credit_note_reads.load_credit_note(uow, actor, note_id))


async def refund_payload(uow: UnitOfWork, actor: Actor, resource: m.Refund | uuid.UUID) -> dict[str, Any]:
    """The refund as ``GET /v1/invoices/{id}/refunds`` lists it."""
    refund_id = resource if isinstance(resource, uuid.UUID) else resource.id
    row = await uow.repo.get(m.Refund, actor.organization_id, refund_id)
    if row is None:
        return {"id": str(refund_id), "object": "refund"}
    invoice = await uow.repo.get(m.Invoice, actor.organization_id, row.invoice_id)
    return credit_note_render.refund(row, currency(invoice.currency if invoice else "USD"))


def register() -> None:
    events.payload_renderers["invoice"] = invoice_payload
    events.payload_renderers["customer"] = customer_payload
    events.payload_renderers["credit_note"] = credit_note_payload
    events.payload_renderers["refund"] = refund_payload
