"""A credit note as :class:`billfold.documents.model.CreditNoteDocument`, built from storage for every
renderer (PDF, UBL ``CreditNote``, CII type 381), beside the invoice loader in
:mod:`billfold.services.documents` and with its pieces.

* Parties: the corrected invoice's seller and buyer as frozen at its issue (so the note names the same
  parties as the invoice it corrects), and its locale.
* BG-3: the invoice's number and issue date.
* Lines: what the note credits, positive: the quantity credited (1 for an amount), the invoice line's
  unit price and unit code (the credited subtotal for an amount), the line's share of the invoice's
  discounts as an allowance (a positive share as a charge), its net, and the tax category, rate and
  exemption reason of the invoice's line (or of the plain amount's category).
* Taxes: the note's tax summary, merged per VAT category and rate as on the invoice.
* Totals: no prepaid amount; the amount credited (BT-115) is the note's total. Nothing is recomputed.
* Notes (BT-22): the reason and the memo. Payment terms (BT-20): how the total is settled (refunded,
  credited to the customer's balance, out of band, taken off the invoice's amount due), which also
  satisfies BR-CO-25 (a positive amount due needs a due date or payment terms). Both are worded in the
  document's language, with its money format (:mod:`billfold.documents.credit_note_text`); a line's
  share of discounts carries no reason, so each renderer names it in that language too.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from billfold.core.money import add
from billfold.core.taxes import TaxKey
from billfold.db import models as m
from billfold.db.uow import UnitOfWork
from billfold.documents.credit_note_text import reason_note, settlement_terms
from billfold.documents.i18n import Formatter
from billfold.documents.model import (
    AllowanceCharge,
    CreditNoteDocument,
    Delivery,
    Group,
    Line,
    Period,
    PrecedingInvoice,
    Totals,
)
from billfold.services.context import Actor
from billfold.services.credit_note_reads import load_credit_note
from billfold.services.documents import TaxLookup, live_parties, party_from_json, tax_summary_rows

ONE = Decimal(1)


def _line(row: m.CreditNoteLine, item: Any, taxes: TaxLookup) -> Line:
    key = (
        None
        if row.tax_category_id is None or row.tax_rate is None
        else TaxKey(row.tax_category_id, row.tax_rate, bool(row.tax_inclusive))
    )
    tax, _ = taxes(key)
    adjustment = row.adjustment_amount
    # no reason of their own: every renderer names them "Discount" / "Charge" in the document's language
    allowances = (AllowanceCharge(amount=-adjustment),) if adjustment < 0 else ()
    charges = (AllowanceCharge(charge=True, amount=adjustment),) if adjustment > 0 else ()
    by_quantity = row.quantity is not None and item is not None
    return Line(
        # the invoice line it credits, so that what EN 16931 cannot express is named as on the invoice
        id=str(row.line_item_id or row.id),
        name=row.description,
        quantity=row.quantity if by_quantity and row.quantity is not None else ONE,
        unit_code=(getattr(item, "unit_code", None) if item is not None else None) or "C62",
        unit_price=item.unit_price if by_quantity else row.subtotal_amount,
        price_includes_tax=bool(row.tax_inclusive),
        subtotal_amount=row.subtotal_amount,
        allowances=allowances,
        charges=charges,
        net_amount=row.net_amount,
        tax=tax,
        tax_amount=row.tax_amount,
    )


async def credit_note_document(
    uow: UnitOfWork, actor: Actor, credit_note_id: uuid.UUID
) -> CreditNoteDocument:
    """The credit note as a document (404 for another organization's id). A voided note renders too:
    it was issued; its status is ``void``."""
    found = await load_credit_note(uow, actor, credit_note_id)
    note, invoice = found.note, found.invoice
    parties = invoice.parties or await live_parties(uow, actor, invoice)
    seller, buyer = party_from_json(parties["seller"]), party_from_json(parties["buyer"])
    taxes = TaxLookup(await uow.repo.tax_categories_of(actor.organization_id), buyer.address.country)
    items = {row.id: row for row in await uow.repo.lines_of(actor.organization_id, invoice.id)}
    lines = tuple(
        _line(row, None if row.line_item_id is None else items.get(row.line_item_id), taxes)
        for row in found.lines
    )
    line_total = add(*(line.net_amount for line in lines))
    delivery = None
    if invoice.delivery_date is not None or invoice.delivery_country is not None:
        delivery = Delivery(date=invoice.delivery_date, country=invoice.delivery_country)
    locale = str(parties.get("locale") or "en")
    fmt = Formatter.for_document(locale, found.currency)
    notes = [reason_note(note.reason, fmt)]
    if note.memo:
        notes.append(note.memo)
    assert invoice.invoice_number is not None  # only an issued invoice is credited
    terms = settlement_terms(
        fmt,
        refund=note.refund_amount,
        credit=note.credit_amount,
        out_of_band=note.out_of_band_amount,
        reduction=note.reduction_amount,
        invoice_number=invoice.invoice_number,
    )
    return CreditNoteDocument(
        id=str(note.id),
        status=note.status,
        number=note.number,
        issue_date=note.issue_date,
        period=Period(start=invoice.period_start, end=invoice.period_end),
        currency=found.currency,
        locale=locale,
        seller=seller,
        buyer=buyer,
        buyer_reference=invoice.buyer_reference,
        purchase_order=invoice.purchase_order,
        preceding_invoice=PrecedingInvoice(
            number=invoice.invoice_number, issue_date=invoice.issue_date or invoice.invoice_date
        ),
        notes=tuple(notes),
        payment_terms=terms,
        groups=(Group(id="standalone", name=None, lines=lines, net_amount=line_total),),
        tax_summary=tax_summary_rows({"tax_summary": note.tax_summary or []}, taxes),
        totals=Totals(
            line_total=line_total,
            tax_exclusive=line_total,
            tax=note.tax_amount,
            tax_inclusive=note.total_amount,
            amount_due=note.total_amount,
            discount_total=note.discount_amount,
        ),
        delivery=delivery,
    )
