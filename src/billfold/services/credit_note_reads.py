"""Reading credit notes and refunds: a note with its lines, invoice and refunds (what every renderer of
it, the JSON and the documents alike, is built from), lists, and an invoice's payment history."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from billfold.db import models as m
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.credit_notes import CreditNoteView
from billfold.services.currencies import currency
from billfold.services.errors import NotFound


async def load_credit_note(uow: UnitOfWork, actor: Actor, credit_note_id: uuid.UUID) -> CreditNoteView:
    """A note with its lines, its invoice and its refunds (what every renderer of it reads)."""
    note = await uow.repo.get(m.CreditNote, actor.organization_id, credit_note_id)
    if note is None:
        raise NotFound.resource("credit note", credit_note_id)
    invoice = await uow.repo.get(m.Invoice, actor.organization_id, note.invoice_id)
    if invoice is None:
        raise NotFound.resource("invoice", note.invoice_id)
    lines = await uow.repo.credit_note_lines_of(actor.organization_id, note.id)
    refunds = await uow.repo.refunds_of_note(actor.organization_id, note.id)
    return CreditNoteView(note, lines, invoice, currency(note.currency), refunds)


async def list_credit_notes(
    uow: UnitOfWork,
    actor: Actor,
    *,
    limit: int,
    after: uuid.UUID | None,
    invoice_id: uuid.UUID | None,
    customer_id: uuid.UUID | None,
) -> tuple[list[tuple[m.CreditNote, list[m.CreditNoteLine]]], bool]:
    """A page of notes, newest first, each with its lines (read in one query for the page)."""
    filters: list[Any] = []
    if invoice_id is not None:
        filters.append(m.CreditNote.invoice_id == invoice_id)
    if customer_id is not None:
        filters.append(m.CreditNote.customer_id == customer_id)
    org = actor.organization_id
    notes, more = await uow.repo.page(m.CreditNote, org, limit=limit, after=after, filters=filters)
    by_note: dict[uuid.UUID, list[m.CreditNoteLine]] = defaultdict(list)
    for row in await uow.repo.lines_of_credit_notes(org, [note.id for note in notes]):
        by_note[row.credit_note_id].append(row)
    return [(note, by_note[note.id]) for note in notes], more


async def refunds_of(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID
) -> tuple[m.Invoice, list[m.Refund]]:
    invoice = await uow.repo.get(m.Invoice, actor.organization_id, invoice_id)
    if invoice is None:
        raise NotFound.resource("invoice", invoice_id)
    return invoice, await uow.repo.refunds_of(actor.organization_id, invoice.id)


async def invoice_of_line(uow: UnitOfWork, actor: Actor, line_item_id: uuid.UUID, field: str) -> uuid.UUID:
    """The invoice a line item belongs to (for APIs that name lines only); 404 naming ``field``."""
    line = await uow.repo.get(m.LineItem, actor.organization_id, line_item_id)
    if line is None:
        raise NotFound(f"line item {line_item_id} not found", details={field: "no such line item"})
    return line.invoice_id


async def payment_history(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID
) -> tuple[m.Invoice, list[m.Payment], list[m.Refund]]:
    """The invoice's payments and refunds."""
    invoice, refunds = await refunds_of(uow, actor, invoice_id)
    return invoice, await uow.repo.payments_of(actor.organization_id, invoice.id), refunds
