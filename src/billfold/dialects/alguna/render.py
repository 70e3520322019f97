"""Billfold's invoice in Alguna's shape (seed 004): camelCase, money as decimal strings in the currency's
precision, billing periods as timestamps (the last day ends at 23:59:59 UTC) and as text.

``totalPrice`` is the line's netAmount (after its share of every adjustment, before tax), ``subtotal``
the sum of net amounts, ``tax`` the taxAmount, ``total`` the totalAmount; ``amountRemaining`` = the amount due
(total − credits applied at issue, never negative) − amount paid − what credit notes took off it. The
figures are the invoice's calculation, read whole.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from billfold.dialects.common import midnight, money, plain, stamp
from billfold.documents.records import InvoiceRecord, LineRecord

STATUS = {
    "draft": "draft",
    "in_review": "pending_approval",
    "issued": "issued",
    "paid": "paid",
    "canceled": "canceled",
    "void": "void",
}


def _end(day: date) -> str:
    return f"{day.isoformat()}T23:59:59Z"


def _short(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _long(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def line(row: LineRecord, record: InvoiceRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "description": row.name,
        "billingPeriodStart": midnight(row.start_date),
        "billingPeriodEnd": _end(row.end_date),
        "quantity": plain(row.quantity),
        "unitPrice": plain(row.unit_price),
        "totalPrice": money(row.net_amount, record.currency),
        "isEditable": record.invoice.status == "draft" and row.pricing != "minimum",
        "productId": row.product_id,
    }


def invoice(record: InvoiceRecord) -> dict[str, Any]:
    row, currency, figures = record.invoice, record.currency, record.figures
    status = "overdue" if figures.overdue_unpaid else STATUS.get(row.status, row.status)
    start, end = row.period_start, row.period_end
    return {
        "id": row.id,
        "accountId": row.customer_id,
        "status": status,
        "dueDate": None if row.due_date is None else midnight(row.due_date),
        "issueDate": midnight(row.invoice_date),
        "billingPeriodStart": midnight(start),
        "billingPeriodEnd": _end(end),
        "billingPeriod": f"{_short(start)} - {_short(end)}",
        "currency": currency.code,
        "description": row.memo or f"Invoice for period {_long(start)} to {_long(end)}",
        "lineItems": [line(item, record) for item in record.lines],
        "subtotal": money(row.net_amount, currency),
        "tax": money(row.tax_amount, currency),
        "total": money(row.total_amount, currency),
        "amountPaid": money(figures.amount_paid, currency),
        "amountRemaining": money(figures.amount_remaining, currency),
        "externalId": None,
        "externalProvider": None,
        "externalUrl": None,
        "purchaseOrderNumber": row.purchase_order,
        "createdAt": stamp(row.created_at),
        "updatedAt": stamp(row.updated_at),
    }
