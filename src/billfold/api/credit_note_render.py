"""Credit notes and refunds as the native API answers them (amounts with the currency's places).

``pdfUrl`` is the absolute URL of the note's PDF (``/v1/credit-notes/{id}/pdf``, an API-key route),
on the server's public address as the invoice's links are (``BILLFOLD_PUBLIC_URL`` or the request's).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from billfold.api.render import amounts, day, money, timestamp, uid
from billfold.core.money import Currency, to_plain_normalized
from billfold.db import models as m
from billfold.services.credit_notes import CreditNoteView
from billfold.services.currencies import currency as lookup_currency
from billfold.web.public_url import absolute_url


def line(row: m.CreditNoteLine, currency: Currency) -> dict[str, Any]:
    return {
        "lineItemId": uid(row.line_item_id),
        "description": row.description,
        "quantity": None if row.quantity is None else to_plain_normalized(row.quantity),
        **amounts(row, currency),
        "taxCategoryId": row.tax_category_id,
        "taxRate": None if row.tax_rate is None else to_plain_normalized(row.tax_rate),
        "taxInclusive": row.tax_inclusive,
    }


def credit_note(note: m.CreditNote, lines: list[m.CreditNoteLine]) -> dict[str, Any]:
    currency = lookup_currency(note.currency)
    return {
        "id": str(note.id),
        "object": "credit_note",
        "number": note.number,
        "invoiceId": str(note.invoice_id),
        "customerId": str(note.customer_id),
        "issuingAccountId": str(note.issuing_account_id),
        "status": note.status,
        "issueDate": day(note.issue_date),
        "reason": note.reason,
        "memo": note.memo,
        "currency": note.currency,
        "lines": [line(row, currency) for row in lines],
        **amounts(note, currency),
        "taxSummary": [
            {
                "taxCategoryId": row["tax_category_id"],
                "rate": row["rate"],
                "inclusive": row["inclusive"],
                "taxableAmount": money(Decimal(row["taxable_amount"]), currency),
                "taxAmount": money(Decimal(row["tax_amount"]), currency),
            }
            for row in note.tax_summary or []
        ],
        "refundAmount": money(note.refund_amount, currency),
        "creditAmount": money(note.credit_amount, currency),
        "outOfBandAmount": money(note.out_of_band_amount, currency),
        "reductionAmount": money(note.reduction_amount, currency),
        "pdfUrl": absolute_url(f"/v1/credit-notes/{note.id}/pdf"),
        "idempotencyKey": note.idempotency_key,
        "voidReason": note.void_reason,
        "createdAt": timestamp(note.created_at),
        "voidedAt": timestamp(note.voided_at),
    }


def view(found: CreditNoteView) -> dict[str, Any]:
    return credit_note(found.note, found.lines)


def refund(row: m.Refund, currency: Currency) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "object": "refund",
        "type": "refund",
        "invoiceId": str(row.invoice_id),
        "creditNoteId": uid(row.credit_note_id),
        "amount": money(row.amount, currency),
        "currency": currency.code,
        "date": day(row.refund_date),
        "reason": row.reason,
        "idempotencyKey": row.idempotency_key,
        "createdAt": timestamp(row.created_at),
    }
