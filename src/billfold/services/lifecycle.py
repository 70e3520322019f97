"""Invoice transitions (review, reopen, issue, cancel, void), legal numbering and the event log.

Every transition locks the invoice row, checks the move against the lifecycle table
(:mod:`billfold.core.lifecycle`) and records an event with its time and the API key behind it. Issuing
takes the next number of its sequence inside the same transaction, under the counter's row lock: two
issues never get one number, and an issue that rolls back leaves no gap. The counter is taken last, as
the transaction commits (:func:`issue`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from billfold.core.lifecycle import amount_remaining, can_transition
from billfold.core.money import ZERO
from billfold.core.numbering import number_pieces, placeholder, sequence_key, with_number
from billfold.db import models as m
from billfold.db.ids import utcnow
from billfold.db.invoice_lifecycle import to_issue_along
from billfold.db.numbering import LockNeeded, NumberClaim
from billfold.db.organization_queries import Along
from billfold.db.uow import UnitOfWork
from billfold.services import totals
from billfold.services.context import Actor
from billfold.services.credits import grant_purchased_credit, invoice_grant, return_invoice_credits
from billfold.services.documents import live_parties, new_hosted_token
from billfold.services.errors import Conflict, NotFound, ValidationFailed
from billfold.services.events import TRANSITION_EVENTS, credit_balance_changed, record_event

DEFAULT_PAYMENT_TERMS_DAYS = 30


async def lock_invoice(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> m.Invoice:
    invoice = await uow.repo.get_for_update(m.Invoice, actor.organization_id, invoice_id)
    if invoice is None:
        raise NotFound.resource("invoice", invoice_id)
    return invoice


def check_transition(invoice: m.Invoice, target: str) -> None:
    if not can_transition(invoice.status, target):
        raise Conflict(
            f"an invoice cannot go from {invoice.status} to {target}",
            code="invalid_transition",
            details={"from": invoice.status, "to": target},
        )


async def move(
    uow: UnitOfWork, actor: Actor, invoice: m.Invoice, target: str, data: dict[str, Any] | None = None
) -> None:
    """Change the status (already checked) and log the transition."""
    source = invoice.status
    invoice.status = target
    invoice.updated_at = utcnow()
    await record_event(uow, actor, invoice, TRANSITION_EVENTS[target], source, target, data)


async def transition(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, target: str, reason: str | None = None
) -> m.Invoice:
    """Review (``in_review``), reopen (``draft``), cancel (``canceled``) or void (``void``)."""
    invoice = await lock_invoice(uow, actor, invoice_id)
    check_transition(invoice, target)
    if target == "void":
        if not reason:
            raise ValidationFailed.field("reason", "voiding an invoice needs a reason")
        invoice.void_reason = reason
        await _reverse_for_void(uow, actor, invoice)
    await move(uow, actor, invoice, target, {"reason": reason} if reason else None)
    await uow.session.flush()
    return invoice


def due_date(issue_date: date, terms: int) -> date:
    """``terms`` days after ``issue_date``; a 400 naming ``issueDate`` when that passes 9999-12-31."""
    try:
        return issue_date + timedelta(days=terms)
    except OverflowError:
        reason = f"with {terms} days of payment terms the due date would pass 9999-12-31"
        raise ValidationFailed(f"issueDate: {reason}", details={"issueDate": reason}) from None


@dataclass(frozen=True, slots=True)
class Issued:
    """An invoice issued in this transaction; its number is drawn when the transaction commits."""

    invoice: m.Invoice
    claim: NumberClaim
    lines: list[Any] | None = None
    """The invoice's lines when they were read with it (an unlocked issue), unchanged since."""

    def numbered(self, answer: Any) -> Any:
        """``answer`` (rendered before the commit) with the drawn number in place of the placeholder."""
        number = self.claim.number
        if number is None:
            raise RuntimeError("the invoice's number is drawn when the transaction commits")
        return with_number(answer, self.claim.marker, number)


def unlocked_read(invoice_id: uuid.UUID) -> Along:
    """What :func:`issue` with ``unlocked`` reads first, to be sent with the caller's key."""
    return to_issue_along(invoice_id)


async def issue(
    uow: UnitOfWork,
    actor: Actor,
    invoice_id: uuid.UUID,
    issue_date: date | None,
    *,
    unlocked: bool = False,
) -> Issued:
    """Set the invoice's issue and due dates, freeze it, lock it; paid at once when nothing is due.

    Everything that does not need the number happens now, with a placeholder where the number goes; the
    number itself is drawn as the transaction commits (:mod:`billfold.db.numbering`), in the one
    statement that also writes it and the events, so the series' counter stays locked only for that
    statement and the commit. That statement also refuses an issue date before the series' last one.

    ``unlocked`` (PostgreSQL, a unit of work whose statements commit one by one): the invoice is read
    without a lock, and the numbering statement, the issue's only write, locks it and writes nothing
    unless it is still the version read. An issue that needs more (credit to spend, figures to
    calculate, a total not above zero, any other write), and one whose invoice changed meanwhile,
    raises :class:`LockNeeded`: it is issued again, locking (``unlocked=False``), in one transaction."""
    loaded = await uow.repo.invoice_to_issue(actor.organization_id, invoice_id, lock=not unlocked)
    if loaded is None:
        raise NotFound.resource("invoice", invoice_id)
    invoice, account, customer = loaded.invoice, loaded.account, loaded.customer
    check_transition(invoice, "issued")
    if account is None or customer is None:
        raise Conflict("the invoice's issuing account or customer is gone", code="missing_account")
    if unlocked and (
        loaded.has_credit or not totals.stored_figures_final(invoice) or remaining(invoice) <= ZERO
    ):
        raise LockNeeded
    day = actor.issue_day(issue_date)
    # Seller and buyer as they are now (the rows just read with the invoice), and the hosted token;
    # written with the rest of the invoice's changes in one UPDATE (below).
    invoice.parties = await live_parties(uow, actor, invoice, loaded)
    if invoice.hosted_token is None:
        invoice.hosted_token = new_hosted_token()
    terms = invoice.payment_terms_days
    if terms is None:
        terms = (
            customer.payment_terms_days
            if customer.payment_terms_days is not None
            else DEFAULT_PAYMENT_TERMS_DAYS
        )
    due = due_date(day, terms)
    await totals.freeze(uow, actor, invoice, day, has_credit=loaded.has_credit)
    marker = placeholder()
    invoice.invoice_number = marker
    invoice.issue_date = day
    invoice.issued_at = utcnow()
    invoice.due_date = due
    await move(uow, actor, invoice, "issued", {"invoiceNumber": marker})
    owed_to_customer = invoice.credits_applied_amount - invoice.total_amount
    if owed_to_customer > ZERO:
        # A negative total is owed to the customer: it goes to their prepaid balance (the customer row
        # was locked by the freeze), and nothing is due.
        reason = f"negative total of invoice {marker}"
        uow.session.add(invoice_grant(actor, invoice, owed_to_customer, reason))
        await credit_balance_changed(uow, actor, invoice.customer_id, invoice.currency)
    if remaining(invoice) <= ZERO:
        await move(uow, actor, invoice, "paid", {"reason": "nothing due"})
        await grant_purchased_credit(uow, actor, invoice)
    claim = NumberClaim(
        organization_id=actor.organization_id,
        issuing_account_id=account.id,
        series=invoice.series,
        key=sequence_key(account.number_format, account.number_prefix, invoice.series, day),
        day=day,
        pieces=number_pieces(account.number_format, account.number_prefix, invoice.series, day),
        invoice_id=invoice.id,
        marker=marker,
        refused=lambda last: _out_of_order(day, last),
        # the credit grants above name the invoice by its number
        patches=[
            (m.CreditEntry, row.id, "reason")
            for row in uow.session.new
            if isinstance(row, m.CreditEntry) and marker in (row.reason or "")
        ],
    )
    # The invoice's changes are written with its number, by the commit's last statement (not by the
    # unit of work's flush): nothing in this transaction reads the invoice's row again.
    claim.invoice_values = uow.repo.take_changes(invoice)
    uow.number_at_commit(claim)
    if uow.session.new or uow.session.dirty:  # e.g. a credit grant of a negative total
        if unlocked:
            raise LockNeeded
        await uow.session.flush()
    claim.version = loaded.version
    return Issued(invoice, claim, loaded.lines)


def _out_of_order(day: date, last: date | None) -> Conflict:
    return Conflict(
        f"issue date {day} is before the last issue date {last} of this series",
        code="issue_date_out_of_order",
        details={"issueDate": f"must not be before {last}"},
    )


def remaining(invoice: m.Invoice) -> Decimal:
    """The invoice's amount remaining (:func:`billfold.core.lifecycle.amount_remaining`)."""
    return amount_remaining(
        invoice.total_amount, invoice.credits_applied_amount, invoice.amount_paid, invoice.reduced_amount
    )


async def _reverse_for_void(uow: UnitOfWork, actor: Actor, invoice: m.Invoice) -> None:
    """Voiding reverses what the invoice consumed: the credit it applied returns to the customer's
    balance. Payments (net of refunds) or live credit notes forbid the void: refund them with a credit
    note, or correct the invoice with one instead."""
    paid = invoice.amount_paid - invoice.refunded_amount
    if paid > ZERO:
        raise Conflict(
            f"the invoice has {paid} of payments recorded: refund them or use a credit note",
            code="invoice_has_payments",
            details={"amountPaid": str(paid)},
        )
    if await uow.repo.has_live_credit_notes(actor.organization_id, invoice.id):
        raise Conflict(
            "the invoice has credit notes: void them first, or correct it with another credit note",
            code="invoice_has_credit_notes",
            details={"creditedAmount": str(invoice.credited_amount)},
        )
    if invoice.credits_applied_amount > ZERO:
        await return_invoice_credits(uow, actor, invoice)


async def events(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> list[m.InvoiceEvent]:
    invoice = await uow.repo.get(m.Invoice, actor.organization_id, invoice_id)
    if invoice is None:
        raise NotFound.resource("invoice", invoice_id)
    return await uow.repo.events_of(actor.organization_id, invoice.id)
