"""Billfold's lines and invoices in Orb's shape (seed 002): snake_case, money as decimal strings in the
currency's precision, quantities as JSON numbers, dates as date-times.

``subtotal`` = subtotalAmount, ``adjusted_subtotal`` = netAmount, ``credits_applied`` = the line's share
of prepaid credits (set at issue; zero on a draft), ``amount`` = ``adjusted_subtotal − credits_applied``.

``tax_amounts`` holds the line's tax at its rate (a line has one rate, or none when untaxed):
``tax_rate_description`` is the tax category's name, ``tax_rate_percentage`` the rate in percent
(``"20"``), ``amount`` the line's taxAmount.

``adjustments`` are the line's signed shares of every adjustment that changed it (discounts negative,
in the order they applied), each with its definition in Orb's fields: ``amount_discount`` (Billfold's
``monetary_discount`` is one), ``percentage_discount`` (a fraction, ``0.1`` for 10 %),
``usage_discount`` (free units), ``minimum`` (``minimum_amount``, attributed to the line's item) and
``maximum``. ``is_invoice_level`` tells an invoice's adjustment from a line's or a group's; the price
and item ids it is limited to are ``applies_to_price_ids`` and ``filters``. Orb has no allocation offset,
so those are not listed (their effect is in ``adjusted_subtotal``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from billfold.core.money import ZERO, Currency
from billfold.db import models as m
from billfold.dialects.common import (
    adjustment_shares,
    count,
    fraction,
    midnight,
    money,
    plain,
    stamp,
)
from billfold.documents.records import InvoiceRecord, LineRecord
from billfold.web.public_url import document_links as links_of
from billfold.web.shape import camel_keys

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
ADJUSTMENT_TYPES = {
    "usage_discount": "usage_discount",
    "amount_discount": "amount_discount",
    "monetary_discount": "amount_discount",
    "percentage_discount": "percentage_discount",
    "minimum": "minimum",
    "maximum": "maximum",
}
"""Billfold's adjustment types as Orb's; an ``allocation_offset`` has no Orb counterpart."""
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
    meta: Mapping[str, Any] = camel_keys(sub.get("metadata") or {})
    base = {
        "amount": money(Decimal(str(sub["amount"])), currency),
        "grouping": None,
        "name": str(sub.get("name", "")),
        "quantity": _decimal(sub.get("usage"), ZERO),
    }
    kind = sub.get("orb_type")
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


def price(row: LineRecord, currency: Currency, item_name: str) -> dict[str, Any]:
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
        "id": row.price_id or str(uuid.uuid5(uuid.UUID(row.id), "price")),
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
        "item": {"id": row.product_id, "name": item_name},
        "credit_allocation": None,
        "composite_price_filters": None,
        "discount": None,
        "minimum": None,
        "minimum_amount": None,
        "maximum": None,
        "maximum_amount": None,
    }


class Definition(NamedTuple):
    """An adjustment as defined (on a line, a group or the invoice), and whether the invoice's."""

    raw: Mapping[str, Any]
    invoice_level: bool


def definitions(record: InvoiceRecord) -> dict[str, Definition]:
    """Every adjustment of the invoice, its groups and its lines, by id."""
    found = {str(raw["id"]): Definition(raw, True) for raw in record.invoice.adjustments or []}
    for row in record.groups:
        found.update((str(raw["id"]), Definition(raw, False)) for raw in row.adjustments or [])
    for item in record.lines:
        found.update((str(raw["id"]), Definition(raw, False)) for raw in item.adjustments or [])
    return found


def _given(raw: Mapping[str, Any], key: str) -> Decimal:
    """A decimal field of an adjustment's definition (stored as a decimal string); zero when absent."""
    value = raw.get(key)
    return ZERO if value is None else Decimal(str(value))


def _ids(applies: Mapping[str, Any], key: str) -> list[str]:
    return [str(value) for value in applies.get(key) or []]


def adjustment(
    share: Mapping[str, Any], definition: Definition | None, item_id: str, currency: Currency
) -> dict[str, Any] | None:
    """One of Orb's ``Monetary…Adjustment`` objects for a line's share of an adjustment; ``None`` for a
    type Orb does not have."""
    kind = ADJUSTMENT_TYPES.get(str(share["type"]))
    if kind is None:
        return None
    raw: Mapping[str, Any] = definition.raw if definition else {}
    applies: Mapping[str, Any] = raw.get("applies_to") or {}
    price_ids, item_ids = _ids(applies, "price_ids"), _ids(applies, "product_ids")
    filters = [
        {"field": field, "operator": "includes", "values": values}
        for field, values in (("price_id", price_ids), ("item_id", item_ids))
        if values
    ]
    body: dict[str, Any] = {
        "id": str(share["id"]),
        "adjustment_type": kind,
        "amount": money(Decimal(str(share["amount"])), currency),
        "applies_to_price_ids": price_ids,
        "filters": filters,
        "is_invoice_level": definition is not None and definition.invoice_level,
        "reason": raw.get("reason"),
        "replaces_adjustment_id": None,
    }
    amount = money(_given(raw, "amount"), currency)
    if kind == "usage_discount":
        body["usage_discount"] = count(_given(raw, "quantity"))
    elif kind == "amount_discount":
        body["amount_discount"] = amount
    elif kind == "percentage_discount":
        body["percentage_discount"] = count(fraction(_given(raw, "percentage")))
    elif kind == "minimum":
        body["minimum_amount"] = amount
        body["item_id"] = str(item_id)
    else:
        body["maximum_amount"] = amount
    return body


def tax_amounts(row: LineRecord, currency: Currency, tax_names: Mapping[str, str]) -> list[dict[str, Any]]:
    tax = row.tax
    if tax is None:
        return []
    return [
        {
            "tax_rate_description": tax_names.get(tax.category_id, ""),
            "tax_rate_percentage": plain(tax.rate),
            "amount": money(row.tax_amount, currency),
        }
    ]


def line(
    row: LineRecord,
    currency: Currency,
    item_name: str,
    tax_names: Mapping[str, str],
    adjustments: Mapping[str, Definition] | None = None,
) -> dict[str, Any]:
    """``tax_names``: tax category names by id; ``adjustments``: the invoice's adjustment definitions
    (:func:`definitions`), for a line read with its invoice."""
    known = adjustments or {}
    credits = row.credits_applied_amount or ZERO
    shown = [
        adjustment(share, known.get(str(share["id"])), row.product_id, currency)
        for share in adjustment_shares(row)
    ]
    return {
        "id": row.id,
        "amount": money(row.net_amount - credits, currency),
        "start_date": midnight(row.start_date, UTC),
        "end_date": midnight(row.end_date, UTC),
        "grouping": None,
        "adjustments": [item for item in shown if item is not None],
        "name": row.name,
        "quantity": count(row.total_usage if row.total_usage is not None else row.quantity),
        "subtotal": money(row.subtotal_amount, currency),
        "adjusted_subtotal": money(row.net_amount, currency),
        "credits_applied": money(credits, currency),
        "partially_invoiced_amount": money(ZERO, currency),
        "sub_line_items": [sub_line(sub, currency) for sub in row.sub_lines or []],
        "tax_amounts": tax_amounts(row, currency, tax_names),
        "price": price(row, currency, item_name),
        "usage_customer_ids": None,
        "filter": None,
    }


def invoice(
    record: InvoiceRecord,
    customer: m.Customer,
    item_names: Mapping[str, str],
    tax_names: Mapping[str, str],
) -> dict[str, Any]:
    """The invoice with its line items (the fields a line item client reads; not every field Orb has).
    ``item_names``: product names by id."""
    row, currency = record.invoice, record.currency
    defined = definitions(record)
    page, pdf = links_of(row.hosted_token)
    return {
        "id": row.id,
        "status": STATUS.get(row.status, row.status),
        "invoice_number": row.invoice_number or "",
        "currency": currency.code,
        "customer": {"id": str(customer.id), "external_customer_id": customer.external_customer_id},
        "invoice_date": midnight(row.invoice_date, UTC),
        "due_date": None if row.due_date is None else midnight(row.due_date, UTC),
        "memo": row.memo,
        "subtotal": money(row.subtotal_amount, currency),
        "total": money(row.total_amount, currency),
        "amount_due": money(row.figures.amount_due, currency),
        "credits_applied": money(row.figures.credits_applied, currency),
        # Orb's links to the invoice's PDF and hosted page: Billfold's, once the invoice is issued
        "invoice_pdf": pdf,
        "hosted_invoice_url": page,
        "line_items": [
            line(item, currency, item_names.get(item.product_id, item.name), tax_names, defined)
            for item in record.lines
        ],
        "metadata": {},
        "created_at": stamp(row.created_at),
    }
