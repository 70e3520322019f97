"""Credit notes: numbered corrections of issued invoices, and the refunds they record.

An issued (or paid) invoice is never edited: a credit note credits parts of its lines, or a plain net
amount at one of its rates, worked out by :mod:`billfold.core.credit_notes` from the invoice's frozen
figures (each part with its share of discounts, tax by the invoice's own rounding, cumulatively, so the
notes of an invoice never credit more than it charged). Its total is settled (Stripe's model) as:

* ``refundAmount``: recorded as a :class:`~billfold.db.models.Refund` of the invoice's payments, at most
  what was paid and not yet refunded (409 ``refund_exceeds_paid``);
* ``creditAmount``: a grant in the customer's prepaid balance that names the invoice and the note;
* ``outOfBandAmount``: settled outside Billfold (recorded only);
* the rest reduces the invoice's amount remaining, and may not exceed it (409
  ``credit_exceeds_remaining``). An issued invoice whose amount remaining reaches 0 so becomes ``paid``.

Locks are taken in one order: the invoice row (so notes, payments and voids of one invoice serialize),
then the customer row (only when the balance moves), then the credit note counter, last, so its lock is
held for the inserts and the commit only. Numbers come from the issuing account's own credit note series
(``credit_note_number_format``/``credit_note_number_prefix``, default ``CN-{yyyy}-{seq:06}``), gapless,
never before the series' last issue date.

Voiding a note (:mod:`billfold.services.credit_note_voids`) undoes its effects when nothing depends on
them: its reduction returns to the amount remaining (a ``paid`` invoice goes back to ``issued``), its
credit is taken back from the balance only while the balance still holds all of it (409
``credit_note_credit_used``), and a refund cannot be undone (409 ``credit_note_refunded``). Reads are in
:mod:`billfold.services.credit_note_reads`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from billfold.core.credit_notes import (
    AmountCredit,
    CreditableLine,
    Credited,
    CreditExceedsInvoice,
    CreditExceedsRemaining,
    CreditNoteResult,
    InvoiceToCredit,
    LineCredit,
    credit_note,
    settle,
)
from billfold.core.money import ZERO, Currency
from billfold.core.numbering import DEFAULT_SERIES, render_number, sequence_key
from billfold.core.split import CalculationError
from billfold.core.taxes import TaxKey
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.calculation import line_tax_key, rounding_of
from billfold.services.context import Actor
from billfold.services.credits import invoice_grant
from billfold.services.currencies import check_fits, currency
from billfold.services.errors import Conflict, ValidationFailed
from billfold.services.events import credit_balance_changed, record_resource_event
from billfold.services.lifecycle import lock_invoice, move, remaining

REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory", "other")
CREDITABLE_STATUSES = frozenset({"issued", "paid"})
# The counter series of credit notes: the colon keeps it apart from every invoice series (whose names
# are letters, digits, _ and -), so one issuing account's invoices and notes never share a sequence.
SERIES = ":credit_notes"


@dataclass(frozen=True, slots=True)
class LineRequest:
    line_item_id: uuid.UUID
    quantity: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class NewCreditNote:
    idempotency_key: str
    reason: str
    memo: str | None = None
    issue_date: date | None = None
    lines: tuple[LineRequest, ...] = ()
    amount: Decimal | None = None
    tax_category_id: uuid.UUID | None = None
    refund_amount: Decimal = ZERO
    credit_amount: Decimal = ZERO
    out_of_band_amount: Decimal = ZERO
    # Orb's behaviour: what the amount remaining cannot absorb goes to the customer's balance
    excess_to_credit: bool = False


@dataclass(frozen=True, slots=True)
class CreditNoteView:
    """A note with everything its renderers (JSON, vendor shapes, documents) need: its lines, the
    invoice it corrects and the refunds it recorded."""

    note: m.CreditNote
    lines: list[m.CreditNoteLine]
    invoice: m.Invoice
    currency: Currency
    refunds: list[m.Refund] = field(default_factory=list)


def _tax_keys(invoice: m.Invoice) -> tuple[dict[TaxKey, Decimal], dict[TaxKey, Decimal]]:
    """The invoice's base (net, or gross when inclusive) and tax per rate, as frozen at issue."""
    base: dict[TaxKey, Decimal] = defaultdict(Decimal)
    tax: dict[TaxKey, Decimal] = defaultdict(Decimal)
    for row in (invoice.calculation or {}).get("tax_summary", []):
        key = TaxKey(str(row["tax_category_id"]), Decimal(row["rate"]), bool(row["inclusive"]))
        taxable, charged = Decimal(row["taxable_amount"]), Decimal(row["tax_amount"])
        base[key] += taxable + charged if key.inclusive else taxable
        tax[key] += charged
    return dict(base), dict(tax)


def _credited(rows: list[m.CreditNoteLine], total: Decimal) -> Credited:
    quantity: dict[str, Decimal] = defaultdict(Decimal)
    base: dict[str, Decimal] = defaultdict(Decimal)
    tax: dict[str, Decimal] = defaultdict(Decimal)
    key_base: dict[TaxKey, Decimal] = defaultdict(Decimal)
    key_tax: dict[TaxKey, Decimal] = defaultdict(Decimal)
    untaxed = ZERO
    for row in rows:
        if row.line_item_id is not None:
            line_id = str(row.line_item_id)
            quantity[line_id] += row.quantity or ZERO
            base[line_id] += row.base_amount
            tax[line_id] += row.tax_amount
        key = _key_of(row)
        if key is not None:
            key_base[key] += row.base_amount
            key_tax[key] += row.tax_amount
        else:
            untaxed += row.base_amount
    return Credited(quantity, base, tax, key_base, key_tax, total, untaxed)


def _key_of(row: m.CreditNoteLine) -> TaxKey | None:
    if row.tax_category_id is None or row.tax_rate is None:
        return None
    return TaxKey(row.tax_category_id, row.tax_rate, bool(row.tax_inclusive))


async def _to_credit(uow: UnitOfWork, actor: Actor, invoice: m.Invoice, money: Currency) -> InvoiceToCredit:
    org = actor.organization_id
    rows = await uow.repo.lines_of(org, invoice.id)
    lines = [
        CreditableLine(
            id=str(row.id),
            quantity=row.quantity if row.pricing == "unit_price" else None,
            subtotal=row.subtotal_amount,
            net=row.net_amount,
            tax=row.tax_amount,
            total=row.total_amount,
            tax_key=line_tax_key(row),
            name=row.name,
        )
        for row in rows
    ]
    key_base, key_tax = _tax_keys(invoice)
    done = await uow.repo.live_credit_note_lines(org, invoice.id)
    return InvoiceToCredit(
        exponent=money.exponent,
        lines=lines,
        key_base=key_base,
        key_tax=key_tax,
        total=invoice.total_amount,
        mode=actor.rounding_mode,
        tax_rounding=rounding_of(actor),
        credited=_credited(done, invoice.credited_amount),
    )


def _check_input(new: NewCreditNote, money: Currency) -> None:
    if new.reason not in REASONS:
        raise ValidationFailed.field("reason", f"must be one of {', '.join(REASONS)}")
    if bool(new.lines) == (new.amount is not None):
        reason = "give either lines or amount (with taxCategoryId when taxed)"
        raise ValidationFailed(reason, details={"lines": reason, "amount": reason})
    if new.amount is None and new.tax_category_id is not None:
        raise ValidationFailed.field("taxCategoryId", "goes with amount, not with lines")
    for index, line in enumerate(new.lines):
        if (line.quantity is None) == (line.amount is None):
            raise ValidationFailed.field(f"lines[{index}]", "give either quantity or amount")
        if line.amount is not None:
            check_fits(line.amount, money, f"lines[{index}].amount")
    if new.amount is not None:
        check_fits(new.amount, money, "amount")
    for name, value in (
        ("refundAmount", new.refund_amount),
        ("creditAmount", new.credit_amount),
        ("outOfBandAmount", new.out_of_band_amount),
    ):
        if value < ZERO:
            raise ValidationFailed.field(name, "must not be negative")
        check_fits(value, money, name)


def _amount_key(invoice_keys: dict[TaxKey, Decimal], category_id: uuid.UUID | None) -> TaxKey | None:
    if category_id is None:
        return None
    for key in invoice_keys:
        if key.tax_category_id == str(category_id):
            return key
    raise ValidationFailed.field("taxCategoryId", "the invoice charged no tax in this category")


def _calculate(to_credit: InvoiceToCredit, new: NewCreditNote) -> CreditNoteResult:
    lines = [LineCredit(str(x.line_item_id), x.quantity, x.amount) for x in new.lines]
    amounts = []
    if new.amount is not None:
        key = _amount_key(dict(to_credit.key_base), new.tax_category_id)
        amounts.append(AmountCredit(new.amount, key, new.memo or "Credit"))
    try:
        return credit_note(to_credit, lines, amounts)
    except CreditExceedsInvoice as error:
        raise Conflict(
            f"{error.field}: {error.message}",
            code="credit_exceeds_invoice",
            details={error.field: error.message},
        ) from error
    except CalculationError as error:
        raise ValidationFailed.field(error.field, error.message) from error


def _settle(result: CreditNoteResult, new: NewCreditNote, invoice: m.Invoice, money: Currency) -> Any:
    credit = new.credit_amount
    if new.excess_to_credit:
        given = new.refund_amount + new.credit_amount + new.out_of_band_amount
        credit += max(ZERO, result.total - given - max(ZERO, remaining(invoice)))
    try:
        return settle(
            result.total,
            refund=new.refund_amount,
            credit=credit,
            out_of_band=new.out_of_band_amount,
            refundable=invoice.amount_paid - invoice.refunded_amount,
            remaining=remaining(invoice),
            exponent=money.exponent,
        )
    except CreditExceedsRemaining as error:
        code = "refund_exceeds_paid" if error.field == "refundAmount" else "credit_exceeds_remaining"
        raise Conflict(
            f"{error.field}: {error.message}", code=code, details={error.field: error.message}
        ) from error
    except CalculationError as error:
        raise ValidationFailed.field(error.field, error.message) from error


async def _take_number(uow: UnitOfWork, actor: Actor, invoice: m.Invoice, day: date) -> tuple[uuid.UUID, str]:
    account = await uow.repo.get(m.IssuingAccount, actor.organization_id, invoice.issuing_account_id)
    if account is None:
        raise Conflict("the invoice's issuing account is gone", code="missing_account")
    template, prefix = account.credit_note_number_format, account.credit_note_number_prefix
    key = sequence_key(template, prefix, DEFAULT_SERIES, day)
    counter = await uow.repo.lock_counter(actor.organization_id, account.id, SERIES, key)
    if counter.last_issue_date is not None and day < counter.last_issue_date:
        raise Conflict(
            f"issue date {day} is before the last issue date {counter.last_issue_date} of this series",
            code="issue_date_out_of_order",
            details={"issueDate": f"must not be before {counter.last_issue_date}"},
        )
    counter.last_value += 1
    counter.last_issue_date = day
    return account.id, render_number(template, prefix, DEFAULT_SERIES, day, counter.last_value)


def _line_rows(note_id: uuid.UUID, actor: Actor, result: CreditNoteResult) -> list[m.CreditNoteLine]:
    rows = []
    for position, line in enumerate(result.lines):
        key = line.tax_key
        rows.append(
            m.CreditNoteLine(
                id=new_id(),
                organization_id=actor.organization_id,
                credit_note_id=note_id,
                line_item_id=None if line.line_id is None else uuid.UUID(line.line_id),
                position=position,
                description=line.description,
                quantity=line.quantity,
                subtotal_amount=line.subtotal,
                discount_amount=-line.adjustment if line.adjustment < ZERO else ZERO,
                adjustment_amount=line.adjustment,
                net_amount=line.net,
                tax_amount=line.tax,
                total_amount=line.total,
                base_amount=line.base,
                tax_category_id=None if key is None else key.tax_category_id,
                tax_rate=None if key is None else key.rate,
                tax_inclusive=None if key is None else key.inclusive,
            )
        )
    return rows


def _summary(result: CreditNoteResult) -> list[dict[str, Any]]:
    return [
        {
            "tax_category_id": row.key.tax_category_id,
            "rate": str(row.key.rate),
            "inclusive": row.key.inclusive,
            "taxable_amount": str(row.taxable),
            "tax_amount": str(row.tax),
        }
        for row in result.tax_summary
    ]


async def create_credit_note(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, new: NewCreditNote
) -> CreditNoteView:
    """Issue a credit note of the invoice (see the module docstring)."""
    invoice = await lock_invoice(uow, actor, invoice_id)
    if invoice.status not in CREDITABLE_STATUSES:
        raise Conflict(
            f"only an issued or paid invoice takes credit notes; this one is {invoice.status}",
            code="invoice_not_creditable",
            details={"status": invoice.status},
        )
    money = currency(invoice.currency)
    _check_input(new, money)
    day = actor.issue_day(new.issue_date)
    if invoice.issue_date is not None and day < invoice.issue_date:
        raise ValidationFailed.field(
            "issueDate", f"must not be before the invoice's issue date {invoice.issue_date}"
        )
    result = _calculate(await _to_credit(uow, actor, invoice, money), new)
    settlement = _settle(result, new, invoice, money)
    note_id = new_id()
    grant = None
    if settlement.credit > ZERO:
        # lock order: the invoice, then the customer (its balance moves), then the counter
        await uow.repo.get_for_update(m.Customer, actor.organization_id, invoice.customer_id)
        grant = invoice_grant(actor, invoice, settlement.credit, "credit note")
    account_id, number = await _take_number(uow, actor, invoice, day)
    now = utcnow()
    if grant is not None:
        grant.reason = f"credit note {number} of invoice {invoice.invoice_number}"
        await uow.repo.insert(grant)
        await credit_balance_changed(uow, actor, invoice.customer_id, invoice.currency)
    discount = sum((-x.adjustment for x in result.lines if x.adjustment < ZERO), ZERO)
    note = m.CreditNote(
        id=note_id,
        organization_id=actor.organization_id,
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        issuing_account_id=account_id,
        credit_entry_id=None if grant is None else grant.id,
        number=number,
        status="issued",
        reason=new.reason,
        memo=new.memo,
        issue_date=day,
        currency=money.code,
        subtotal_amount=result.subtotal,
        discount_amount=discount,
        adjustment_amount=result.adjustment,
        net_amount=result.net,
        tax_amount=result.tax,
        total_amount=result.total,
        refund_amount=settlement.refund,
        credit_amount=settlement.credit,
        out_of_band_amount=settlement.out_of_band,
        reduction_amount=settlement.reduction,
        tax_summary=_summary(result),
        idempotency_key=new.idempotency_key,
        void_reason=None,
        voided_at=None,
        created_at=now,
    )
    await uow.repo.insert(note)
    lines = _line_rows(note_id, actor, result)
    for row in lines:
        await uow.repo.insert(row)
    refunds = []
    if settlement.refund > ZERO:
        refund = m.Refund(
            id=new_id(),
            organization_id=actor.organization_id,
            invoice_id=invoice.id,
            credit_note_id=note_id,
            amount=settlement.refund,
            refund_date=day,
            reason=new.reason,
            idempotency_key=new.idempotency_key,
            created_at=now,
        )
        await uow.repo.insert(refund)
        refunds.append(refund)
    invoice.credited_amount += result.total
    invoice.refunded_amount += settlement.refund
    invoice.reduced_amount += settlement.reduction
    invoice.updated_at = now
    await uow.session.flush()  # the payload renderers read the note, its lines and refunds back
    await record_resource_event(
        uow,
        actor,
        "credit_note",
        note_id,
        "credit_note.created",
        invoice_id=invoice.id,
        data=event_data(note),
    )
    for refund in refunds:
        data = {"refundId": str(refund.id), "creditNoteId": str(note_id), "amount": str(refund.amount)}
        await record_resource_event(
            uow, actor, "refund", refund.id, "refund.created", invoice_id=invoice.id, data=data
        )
    if invoice.status == "issued" and remaining(invoice) <= ZERO:
        await move(uow, actor, invoice, "paid", {"reason": "credit note", "creditNoteId": str(note_id)})
    await uow.session.flush()
    return CreditNoteView(note, lines, invoice, money, refunds)


def event_data(note: m.CreditNote) -> dict[str, Any]:
    return {
        "creditNoteId": str(note.id),
        "number": note.number,
        "totalAmount": str(note.total_amount),
        "refundAmount": str(note.refund_amount),
        "creditAmount": str(note.credit_amount),
        "outOfBandAmount": str(note.out_of_band_amount),
        "reductionAmount": str(note.reduction_amount),
    }
