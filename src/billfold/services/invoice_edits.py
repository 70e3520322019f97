"""Edits of a draft invoice's own fields: memo, dates, payment terms, accounts, auto-issue, and the
EN 16931 references (buyer reference, purchase order, delivery date and country).

Only a draft changes (anything else is a 409 ``invoice_locked``). Every field is checked before anything
is written, with the create's rules: the period may not end before it starts (400 naming ``periodEnd``),
a payment account must be one of the invoice customer's and an issuing account one of the
organization's (404 naming the field). The due date is not edited: it is worked out at issue, from the
issue date and ``paymentTermsDays`` (the invoice's, else the customer's), so a ``dueDate`` is a 400
pointing there.

A new service period moves what followed the old one: every group and line whose dates were exactly the
old period (the default of a group or line that gave none) takes the new period, and a line priced by a
price model is priced again for it (if it cannot be, e.g. seat intervals outside the new period, the
whole edit is refused with that 400). A group or line with dates of its own keeps them. Changing
``invoiceDate`` alone leaves the period as it is. This is the one edit that touches the invoice's lines
(one update per line that follows), so it is O(lines); everything else is a single row update.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from billfold.db import models as m
from billfold.db.ids import utcnow
from billfold.db.uow import UnitOfWork
from billfold.services import line_items
from billfold.services.context import Actor
from billfold.services.errors import NotFound, ValidationFailed, named
from billfold.services.invoices import InvoiceView, delivery_country_of, load_invoice, lock_editable_invoice

SIMPLE_FIELDS = (
    "memo",
    "invoice_date",
    "payment_terms_days",
    "auto_issue",
    "buyer_reference",
    "purchase_order",
    "delivery_date",
)


async def update_invoice(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, changes: dict[str, Any]
) -> InvoiceView:
    """Apply ``changes`` (the fields the request gave, snake_case) to a draft; the invoice as read."""
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    if "due_date" in changes:
        raise ValidationFailed.field(
            "dueDate", "is set at issue (issue date + paymentTermsDays): change paymentTermsDays instead"
        )
    values: dict[str, Any] = {
        name: changes[name]
        for name in SIMPLE_FIELDS
        if name in changes and changes[name] != getattr(invoice, name)
    }
    if "delivery_country" in changes:
        country = delivery_country_of(changes["delivery_country"])
        if country != invoice.delivery_country:
            values["delivery_country"] = country
    old_start, old_end = invoice.period_start, invoice.period_end
    start: date = changes.get("period_start") or old_start
    end: date = changes.get("period_end") or old_end
    if end < start:
        raise ValidationFailed.field("periodEnd", "must not be before periodStart")
    if (start, end) != (old_start, old_end):
        values.update(period_start=start, period_end=end)
    payment_id = changes.get("payment_account_id")
    if payment_id is not None and payment_id != invoice.payment_account_id:
        payment = await uow.repo.get(m.PaymentAccount, actor.organization_id, payment_id)
        if payment is None or payment.customer_id != invoice.customer_id:
            raise NotFound(
                "payment account not found",
                details={"paymentAccountId": "no such payment account for this customer"},
            )
        values["payment_account_id"] = payment.id
    issuing_id = changes.get("issuing_account_id")
    if issuing_id is not None and issuing_id != invoice.issuing_account_id:
        issuing = await uow.repo.get(m.IssuingAccount, actor.organization_id, issuing_id)
        if issuing is None:
            raise NotFound(
                "issuing account not found", details={"issuingAccountId": "no such issuing account"}
            )
        values["issuing_account_id"] = issuing.id
    if values:
        await uow.repo.write_values(invoice, {**values, "updated_at": utcnow()})
    if (start, end) != (old_start, old_end):
        await _follow_period(uow, actor, invoice.id, (old_start, old_end), (start, end))
    return await load_invoice(uow, actor, invoice.id)


async def _follow_period(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, old: tuple[date, date], new: tuple[date, date]
) -> None:
    """Move the groups and lines spanning exactly the ``old`` period to the ``new`` one."""
    org = actor.organization_id
    dates = {"start_date": new[0], "end_date": new[1]}
    for group in await uow.repo.groups_spanning(org, invoice_id, *old):
        await uow.repo.write_values(group, dates)
    for line_id, pricing in await uow.repo.lines_spanning(org, invoice_id, *old):
        if pricing == "minimum":  # the minimum's shortfall line: its amount does not depend on dates
            await uow.repo.update_line_values(org, line_id, dates)
        else:
            with named(f"lineItems[{line_id}]"):  # which line the new period breaks
                await line_items.update_line(uow, actor, invoice_id, line_id, dict(dates))
