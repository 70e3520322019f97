"""Voiding a credit note: its effects are undone when nothing depends on them.

Its reduction returns to the invoice's amount remaining (a ``paid`` invoice goes back to ``issued``), its
credit is taken back from the customer's balance (a ``reversal`` ledger entry against the note's grant)
only while the balance still holds all of it (409 ``credit_note_credit_used``), and a note that refunded
payments cannot be voided (409 ``credit_note_refunded``: a refund cannot be undone). Locks follow the
credit notes' order: the invoice, then the note, then the customer.
"""

from __future__ import annotations

import uuid

from billfold.core.money import ZERO
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.credit_notes import CreditNoteView, event_data
from billfold.services.credits import GRANT_REFERENCE
from billfold.services.currencies import currency
from billfold.services.errors import Conflict, NotFound
from billfold.services.events import credit_balance_changed, record_resource_event
from billfold.services.lifecycle import lock_invoice, remaining

REVERSAL = "reversal"


async def void_credit_note(
    uow: UnitOfWork, actor: Actor, credit_note_id: uuid.UUID, reason: str | None
) -> CreditNoteView:
    """Void a note, undoing its effects (see the module docstring)."""
    found = await uow.repo.get(m.CreditNote, actor.organization_id, credit_note_id)
    if found is None:
        raise NotFound.resource("credit note", credit_note_id)
    invoice = await lock_invoice(uow, actor, found.invoice_id)  # the invoice first, as every writer
    note = await uow.repo.get_for_update(m.CreditNote, actor.organization_id, credit_note_id)
    assert note is not None
    if note.status != "issued":
        raise Conflict(
            "this credit note is already void", code="invalid_transition", details={"status": note.status}
        )
    if note.refund_amount > ZERO:
        raise Conflict(
            "a refund cannot be undone: this credit note refunded payments",
            code="credit_note_refunded",
            details={"refundAmount": str(note.refund_amount)},
        )
    if note.credit_amount > ZERO:
        await _take_back_credit(uow, actor, invoice, note)
    source = invoice.status
    invoice.credited_amount -= note.total_amount
    invoice.reduced_amount -= note.reduction_amount
    invoice.updated_at = utcnow()
    target = source
    if source == "paid" and remaining(invoice) > ZERO:
        invoice.status = target = "issued"
    await uow.repo.write_values(note, {"status": "void", "voided_at": utcnow(), "void_reason": reason})
    await uow.session.flush()
    await record_resource_event(
        uow,
        actor,
        "credit_note",
        note.id,
        "credit_note.voided",
        invoice_id=invoice.id,
        data={**event_data(note), "reason": reason},
        from_status=source if target != source else None,
        to_status=target if target != source else None,
    )
    await uow.session.flush()
    lines = await uow.repo.credit_note_lines_of(actor.organization_id, note.id)
    return CreditNoteView(note, lines, invoice, currency(note.currency), [])


async def _take_back_credit(uow: UnitOfWork, actor: Actor, invoice: m.Invoice, note: m.CreditNote) -> None:
    """Take the note's grant back from the customer's balance, only if nothing of it was used."""
    await uow.repo.get_for_update(m.Customer, actor.organization_id, invoice.customer_id)
    assert note.credit_entry_id is not None, "a note that put credit on the balance names its grant"
    grant = (await uow.repo.credit_entries_by_ids(actor.organization_id, [note.credit_entry_id]))[0]
    grant_id = str(grant.id)
    if (grant.remaining or ZERO) != grant.amount:  # some of it was used (and not returned)
        raise Conflict(
            "the credit this note put on the customer's balance has been used",
            code="credit_note_credit_used",
            details={"creditAmount": str(note.credit_amount)},
        )
    await uow.repo.insert(
        m.CreditEntry(
            id=new_id(),
            organization_id=actor.organization_id,
            customer_id=invoice.customer_id,
            currency=note.currency,
            amount=note.credit_amount.copy_negate(),
            kind=REVERSAL,
            reason=f"{GRANT_REFERENCE}{grant_id}",
            expires_at=None,
            invoice_id=invoice.id,
            payment_id=None,
            created_at=utcnow(),
        )
    )
    await uow.repo.set_grants_remaining(actor.organization_id, {grant.id: None})  # it holds nothing now
    await credit_balance_changed(uow, actor, invoice.customer_id, note.currency)
