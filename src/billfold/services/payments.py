"""Payments against issued invoices.

A payment is dated between the invoice's issue date and today. Partial payments add up in ``amountPaid``;
the invoice becomes ``paid`` when nothing remains. Paying more than remains is a 409, unless the caller
asks to keep the excess as the customer's credit, which then lands in the customer's credit ledger.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billfold.core.money import ZERO
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.credits import grant_purchased_credit, invoice_grant
from billfold.services.currencies import check_fits, currency
from billfold.services.errors import Conflict, NotFound, ValidationFailed
from billfold.services.events import credit_balance_changed, record_event
from billfold.services.lifecycle import lock_invoice, move, remaining


@dataclass(frozen=True, slots=True)
class NewPayment:
    amount: Decimal
    idempotency_key: str
    payment_date: date | None = None
    method: str | None = None
    reference: str | None = None
    keep_excess_as_credit: bool = False


async def record_payment(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, new: NewPayment
) -> tuple[m.Payment, m.Invoice]:
    # what is wrong with the request itself is answered before what is wrong with the invoice (a 400
    # before a 409), as a client fixes the one and cannot the other
    if new.amount <= ZERO:
        raise ValidationFailed.field("amount", "must be greater than zero")
    payment_date = actor.issue_day(new.payment_date, "date")
    invoice = await lock_invoice(uow, actor, invoice_id)
    check_fits(new.amount, currency(invoice.currency))
    # money for an invoice is not received before it was issued (as a credit note is not dated before it)
    if invoice.issue_date is not None and payment_date < invoice.issue_date:
        raise ValidationFailed.field(
            "date", f"must not be before the invoice's issue date {invoice.issue_date.isoformat()}"
        )
    if invoice.status != "issued":
        raise Conflict(
            f"only an issued invoice takes payments; this one is {invoice.status}",
            code="invoice_not_payable",
            details={"status": invoice.status},
        )
    left = remaining(invoice)
    applied = min(new.amount, left)
    excess = new.amount - applied
    if excess > ZERO and not new.keep_excess_as_credit:
        raise Conflict(
            f"the payment exceeds the {left} remaining; send keepExcessAsCredit to keep the excess",
            code="overpayment",
            details={"amount": f"at most {left} remains to be paid"},
        )
    payment = m.Payment(
        id=new_id(),
        organization_id=actor.organization_id,
        invoice_id=invoice.id,
        amount=new.amount,
        applied_amount=applied,
        excess_amount=excess,
        payment_date=payment_date,
        method=new.method,
        reference=new.reference,
        idempotency_key=new.idempotency_key,
        created_at=utcnow(),
    )
    uow.session.add(payment)
    if excess > ZERO:
        uow.session.add(invoice_grant(actor, invoice, excess, "overpayment", payment.id))
        await credit_balance_changed(uow, actor, invoice.customer_id, invoice.currency)
    invoice.amount_paid += applied
    invoice.updated_at = utcnow()
    await record_event(
        uow,
        actor,
        invoice,
        "invoice.payment_recorded",
        None,
        None,
        {"paymentId": str(payment.id), "amount": str(applied)},
    )
    if remaining(invoice) <= ZERO:
        await move(uow, actor, invoice, "paid")
        await grant_purchased_credit(uow, actor, invoice)
    await uow.session.flush()
    return payment, invoice


async def payments_of(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID
) -> tuple[m.Invoice, list[m.Payment]]:
    invoice = await uow.repo.get(m.Invoice, actor.organization_id, invoice_id)
    if invoice is None:
        raise NotFound.resource("invoice", invoice_id)
    return invoice, await uow.repo.payments_of(invoice.organization_id, invoice.id)
