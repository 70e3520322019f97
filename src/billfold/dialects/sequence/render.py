"""Billfold's groups and lines in Sequence's shape: ``netTotal`` = netAmount, ``totalTax`` = taxAmount,
``grossTotal`` = totalAmount, as decimal strings in the invoice currency's precision."""

from __future__ import annotations

from typing import Any

from billfold.core.money import ZERO, Currency, RoundingMode, divide, quantize
from billfold.db import models as m
from billfold.dialects.common import midnight, money, plain
from billfold.services.invoices import LineData

TAX_RATE_PLACES = 6


def _totals(row: m.LineItemGroup | LineData, currency: Currency) -> dict[str, str]:
    return {
        "netTotal": money(row.net_amount, currency),
        "totalTax": money(row.tax_amount, currency),
        "grossTotal": money(row.total_amount, currency),
    }


def group(
    row: m.LineItemGroup, currency: Currency, tax_category: dict[str, str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(row.id),
        "invoiceId": str(row.invoice_id),
        "title": row.name,
        "description": row.description,
        "index": row.position,
        **_totals(row, currency),
    }
    if tax_category is not None:
        body["taxCategory"] = tax_category
    return body


def tax_rate(row: LineData) -> str:
    """The line's effective tax rate as a fraction (``"0.2"`` for 20 %), from its tax and net amounts."""
    if row.tax_amount == ZERO or row.net_amount == ZERO:
        return "0"
    rate = quantize(divide(row.tax_amount, row.net_amount), TAX_RATE_PLACES, RoundingMode.HALF_UP)
    return plain(rate)


def line(row: LineData, currency: Currency) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "invoiceId": str(row.invoice_id),
        "title": row.name,
        "description": row.description,
        "quantity": plain(row.quantity),
        "rate": plain(row.unit_price),
        "taxRate": tax_rate(row),
        "servicePeriodStart": midnight(row.start_date),
        "servicePeriodEnd": midnight(row.end_date),
        "servicePeriod": {"startDate": row.start_date.isoformat(), "endDate": row.end_date.isoformat()},
        "index": row.position,
        "groupId": None if row.group_id is None else str(row.group_id),
        **_totals(row, currency),
        "priceId": None if row.price_id is None else str(row.price_id),
        "rateDisplay": "ABSOLUTE",
        "externalIds": [],
        "productId": str(row.product_id),
    }


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Sequence's list envelope; Billfold answers every item at once, so there is no next page."""
    return {"items": items, "pagination": {"after": None, "before": None, "totalResultSize": len(items)}}
