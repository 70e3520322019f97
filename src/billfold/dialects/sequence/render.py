"""Billfold's groups and lines in Sequence's shape: ``netTotal`` = netAmount, ``totalTax`` = taxAmount,
``grossTotal`` = totalAmount, as decimal strings in the invoice currency's precision.

A group's ``taxCategory`` is its real tax category, ``{id, name}`` (left out when it has none). A line's
``taxRate`` is the rate of the tax category that applies to it (its group's, else its product's, else
the organization's default), as a fraction (``"0.2"`` for 20 %); ``"0"`` when it is untaxed.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from billfold.core.money import ZERO, Currency
from billfold.db import models as m
from billfold.dialects.common import fraction, midnight, money, plain
from billfold.documents.records import GroupRecord, LineRecord


def _totals(row: m.LineItemGroup | GroupRecord | LineRecord, currency: Currency) -> dict[str, str]:
    return {
        "netTotal": money(row.net_amount, currency),
        "totalTax": money(row.tax_amount, currency),
        "grossTotal": money(row.total_amount, currency),
    }


def group(
    row: m.LineItemGroup | GroupRecord, currency: Currency, tax_names: Mapping[str, str]
) -> dict[str, Any]:
    """``tax_names``: the organization's tax category names by id (see ``common.tax_category_names``)."""
    body: dict[str, Any] = {
        "id": str(row.id),
        "invoiceId": str(row.invoice_id),
        "title": row.name,
        "description": row.description,
        "index": row.position,
        **_totals(row, currency),
    }
    if row.tax_category_id is not None:
        category_id = str(row.tax_category_id)
        body["taxCategory"] = {"id": category_id, "name": tax_names.get(category_id, "")}
    return body


def tax_rate(row: LineRecord) -> Decimal:
    """The rate of the line's tax category as a fraction (``0.20`` for 20 %), zero when untaxed."""
    return ZERO if row.tax is None else fraction(row.tax.rate)


def line(row: LineRecord, currency: Currency) -> dict[str, Any]:
    return {
        "id": row.id,
        "invoiceId": row.invoice_id,
        "title": row.name,
        "description": row.description,
        "quantity": plain(row.quantity),
        "rate": plain(row.unit_price),
        "taxRate": plain(tax_rate(row)),
        "servicePeriodStart": midnight(row.start_date),
        "servicePeriodEnd": midnight(row.end_date),
        "servicePeriod": {"startDate": row.start_date.isoformat(), "endDate": row.end_date.isoformat()},
        "index": row.position,
        "groupId": row.group_id,
        **_totals(row, currency),
        "priceId": row.price_id,
        "rateDisplay": "ABSOLUTE",
        "externalIds": [],
        "productId": row.product_id,
    }


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Sequence's list envelope; Billfold answers every item at once, so there is no next page."""
    return {"items": items, "pagination": {"after": None, "before": None, "totalResultSize": len(items)}}
