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

from billfold.core.lifecycle import amount_due as due_of
from billfold.db.ids import utcnow
from billfold.dialects.common import midnight, money, plain, stamp
from billfold.services.invoices import InvoiceView, LineData

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


def line(row: LineData, view: InvoiceView) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "description": row.name,
        "billingPeriodStart": midnight(row.start_date),
        "billingPeriodEnd": _end(row.end_date),
        "quantity": plain(row.quantity),
        "unitPrice": plain(row.unit_price),
        "totalPrice": money(row.net_amount, view.currency),
        "isEditable": view.invoice.status == "draft" and row.pricing != "minimum",
        "productId": str(row.product_id),
    }


def invoice(view: InvoiceView) -> dict[str, Any]:
    row, currency = view.invoice, view.currency
    amount_due = due_of(row.total_amount, row.credits_applied_amount)
    unpaid = amount_due - row.amount_paid - row.reduced_amount
    status = STATUS.get(row.status, row.status)
    if (
        row.status == "issued"
        and row.due_date is not None
        and row.due_date < (view.today or utcnow().date())
        and unpaid > 0
    ):
        status = "overdue"
    start, end = row.period_start, row.period_end
    return {
        "id": str(row.id),
        "accountId": str(row.customer_id),
        "status": status,
        "dueDate": None if row.due_date is None else midnight(row.due_date),
        "issueDate": midnight(row.invoice_date),
        "billingPeriodStart": midnight(start),
        "billingPeriodEnd": _end(end),
        "billingPeriod": f"{_short(start)} - {_short(end)}",
        "currency": currency.code,
        "description": row.memo or f"Invoice for period {_long(start)} to {_long(end)}",
        "lineItems": [line(item, view) for item in view.lines],
        "subtotal": money(row.net_amount, currency),
        "tax": money(row.tax_amount, currency),
        "total": money(row.total_amount, currency),
        "amountPaid": money(row.amount_paid, currency),
        "amountRemaining": money(unpaid, currency),
        "externalId": None,
        "externalProvider": None,
        "externalUrl": None,
        "purchaseOrderNumber": row.purchase_order,
        "createdAt": stamp(row.created_at),
        "updatedAt": stamp(row.updated_at),
    }
