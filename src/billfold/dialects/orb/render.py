"""Billfold's lines and invoices in Orb's shape (seed 002): snake_case, money as decimal strings in the
currency's precision, quantities as JSON numbers, dates as date-times.

``subtotal`` = subtotalAmount, ``adjusted_subtotal`` = netAmount, ``credits_applied`` = the line's share
of prepaid credits (none is allocated to lines while the invoice is a draft), ``amount`` =
``adjusted_subtotal − credits_applied``, ``tax_amounts`` = the line's tax, when it has any.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from billfold.core.money import ZERO, Currency
from billfold.db import models as m
from billfold.dialects.common import count, midnight, money, plain, stamp
from billfold.services.invoices import InvoiceView, LineData

STATUS = {
    "draft": "draft",
    "in_review": "draft",
    "issued": "issued",
    "paid": "paid",
    "canceled": "void",
    "void": "void",
}
MODEL_TYPES = {
    "unit": "unit",
    "fixed": "unit",
    "package": "package",
    "graduated": "tiered",
    "volume": "bulk",
    "tiered_package": "tiered_package",
    "matrix": "matrix",
    "percentage": "unit_with_percent",
    "basis_points": "bps",
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
UTC = "+00:00"


def _snake(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_CAMEL.sub("_", str(key)).lower(): _snake(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_snake(item) for item in value]
    return value


def _decimal(value: object, default: Decimal | None = None) -> Decimal | None:
    return default if value is None else Decimal(str(value))


def sub_line(sub: Mapping[str, Any], currency: Currency) -> dict[str, Any]:
    meta: Mapping[str, Any] = sub.get("metadata") or {}
    base = {
        "amount": money(Decimal(str(sub["amount"])), currency),
        "grouping": None,
        "name": str(sub.get("name", "")),
        "quantity": _decimal(sub.get("usage"), ZERO),
    }
    kind = sub.get("orbType")
    if kind == "tier":
        price = meta.get("unitPrice") or meta.get("packagePrice") or meta.get("flatFee") or "0"
        tier = {
            "first_unit": _decimal(meta.get("from"), ZERO),
            "last_unit": _decimal(meta.get("to")),
            "unit_amount": str(price),
        }
        return {**base, "tier_config": tier, "type": "tier"}
    if kind == "matrix":
        values = [str(value) for value in meta.get("values") or []]
        return {
            **base,
            "matrix_config": {"dimension_values": values},
            "type": "matrix",
            "scaled_quantity": None,
        }
    return {**base, "type": "'null'"}


def price(row: LineData, currency: Currency, item_name: str) -> dict[str, Any]:
    """The line's price: a plain line's is Orb's ``unit`` price of its unit price."""
    if row.price_model is None:
        model_type = "unit"
        config: Any = {"unit_amount": plain(row.unit_price), "prorated": False}
    else:
        model_type = MODEL_TYPES.get(row.price_model, row.price_model)
        config = _snake(row.price_config or {})
    fixed = row.price_model in (None, "fixed")
    days = (row.end_date - row.start_date).days + 1
    return {
        "model_type": model_type,
        f"{model_type}_config": config,
        "metadata": {},
        "id": str(row.price_id or uuid.uuid5(row.id, "price")),
        "name": row.name,
        "external_price_id": None,
        "replaces_price_id": None,
        "price_type": "fixed_price" if fixed else "usage_price",
        "created_at": stamp(row.created_at),
        "cadence": "one_time",
        "billing_mode": "in_arrear",
        "billing_cycle_configuration": {"duration": days, "duration_unit": "day"},
        "invoicing_cycle_configuration": None,
        "billable_metric": None,
        "dimensional_price_configuration": None,
        "fixed_price_quantity": count(row.quantity) if fixed else None,
        "plan_phase_order": None,
        "currency": currency.code,
        "conversion_rate": None,
        "conversion_rate_config": None,
        "item": {"id": str(row.product_id), "name": item_name},
        "credit_allocation": None,
        "composite_price_filters": None,
        "discount": None,
        "minimum": None,
        "minimum_amount": None,
        "maximum": None,
        "maximum_amount": None,
    }


def line(row: LineData, currency: Currency, item_name: str) -> dict[str, Any]:
    credits = ZERO
    taxes = []
    if row.tax_amount != ZERO:
        taxes.append(
            {
                "tax_rate_description": "Tax",
                "tax_rate_percentage": None,
                "amount": money(row.tax_amount, currency),
            }
        )
    return {
        "id": str(row.id),
        "amount": money(row.net_amount - credits, currency),
        "start_date": midnight(row.start_date, UTC),
        "end_date": midnight(row.end_date, UTC),
        "grouping": None,
        "adjustments": [],
        "name": row.name,
        "quantity": count(row.total_usage if row.total_usage is not None else row.quantity),
        "subtotal": money(row.subtotal_amount, currency),
        "adjusted_subtotal": money(row.net_amount, currency),
        "credits_applied": money(credits, currency),
        "partially_invoiced_amount": money(ZERO, currency),
        "sub_line_items": [sub_line(sub, currency) for sub in row.sub_lines or []],
        "tax_amounts": taxes,
        "price": price(row, currency, item_name),
        "usage_customer_ids": None,
        "filter": None,
    }


def invoice(view: InvoiceView, customer: m.Customer, item_names: Mapping[uuid.UUID, str]) -> dict[str, Any]:
    """The invoice with its line items (the fields a line item client reads; not every field Orb has)."""
    row, currency = view.invoice, view.currency
    amount_due = row.total_amount - row.credits_applied_amount
    return {
        "id": str(row.id),
        "status": STATUS.get(row.status, row.status),
        "invoice_number": row.invoice_number or "",
        "currency": currency.code,
        "customer": {"id": str(customer.id), "external_customer_id": customer.external_customer_id},
        "invoice_date": midnight(row.invoice_date, UTC),
        "due_date": None if row.due_date is None else midnight(row.due_date, UTC),
        "memo": row.memo,
        "subtotal": money(row.subtotal_amount, currency),
        "total": money(row.total_amount, currency),
        "amount_due": money(amount_due, currency),
        "credits_applied": money(row.credits_applied_amount, currency),
        "line_items": [
            line(item, currency, item_names.get(item.product_id, item.name)) for item in view.lines
        ],
        "metadata": {},
        "created_at": stamp(row.created_at),
    }
