"""Billfold's invoices, groups and lines in Aira's shape (seeds 000 and 003).

Amounts are JSON numbers with the currency's places: ``subtotalAmount``, ``discountAmount``,
``adjustmentAmount`` and ``totalAmount`` (which includes tax) are Billfold's own. Statuses take Aira's
names (``draft`` → ``open``, ``void`` → ``canceled``); ``invoiceNumber`` is ``""`` until issued.

A line's ``adjustments`` are its signed shares (discounts negative) of the adjustments that changed it,
typed as Aira's schema allows: every discount (amount, monetary, percentage, usage) is a
``monetary_discount`` and an allocation offset an ``allocation_offset``. Aira has no minimum or maximum
adjustment, so those are not listed; their effect is in ``adjustmentAmount`` all the same.

Sub line items are the ones Billfold stored when it priced the line (their types are Aira's); a plain
line shows one: ``unit_price`` (usage = quantity) or ``fixed_price`` (a given amount). Their ids are
derived from the line's id, so they are stable across reads.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import pycountry

from billfold.core.money import Currency
from billfold.db import models as m
from billfold.dialects.common import adjustment_shares, count, number, plain, stamp
from billfold.documents.records import Figures, GroupRecord, InvoiceFields, InvoiceRecord, LineRecord
from billfold.web.shape import camel_keys

STATUS = {
    "draft": "open",
    "in_review": "in_review",
    "issued": "issued",
    "paid": "paid",
    "canceled": "canceled",
    "void": "canceled",
}
SCOPES = frozenset(
    {
        "credit_purchase",
        "contract_minimum_amount",
        "plan_minimum_amount",
        "plan_fixed_amount",
        "metric",
        "additional_charge",
        "one_off",
        "tax_gross_up",
    }
)
ADJUSTMENT_TYPES = {
    "amount_discount": "monetary_discount",
    "monetary_discount": "monetary_discount",
    "percentage_discount": "monetary_discount",
    "usage_discount": "monetary_discount",
    "allocation_offset": "allocation_offset",
}
"""Billfold's adjustment types as Aira's enum; ``minimum`` and ``maximum`` have no counterpart."""
MINIMUM_SCOPES = frozenset({"contract_minimum_amount", "plan_minimum_amount"})
PROGRESSIVE_MODELS = frozenset({"graduated", "tiered_package"})
TAX_ID_TYPES = {"br_cnpj": "cnpj", "br_cpf": "cpf"}
COUNTRY_NAMES = {"BR": "Brasil"}  # Aira is Brazilian and writes its home country in Portuguese


def _uid(value: object) -> str | None:
    return None if value is None else str(value)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def status(figures: Figures) -> str:
    """Aira's status; ``overdue`` is derived: issued, unpaid and past its due date."""
    return "overdue" if figures.overdue_unpaid else STATUS.get(figures.status, figures.status)


def _country(code: str | None) -> str | None:
    if code is None:
        return None
    if code in COUNTRY_NAMES:
        return COUNTRY_NAMES[code]
    found = pycountry.countries.get(alpha_2=code)
    return code if found is None else str(found.name)


def party(row: m.IssuingAccount | m.PaymentAccount) -> dict[str, Any]:
    """An issuing account or a payment account as Aira's ``issuingAccount`` / ``billingAccount``."""
    return {
        "tradeName": row.trade_name,
        "businessName": row.business_name,
        "emails": list(row.emails or []),
        "taxId": row.tax_id,
        "taxIdType": None if row.tax_id_type is None else TAX_ID_TYPES.get(row.tax_id_type, row.tax_id_type),
        "zipCode": row.zip_code,
        "street": row.street,
        "number": row.number,
        "neighborhood": row.neighborhood,
        "city": row.city,
        "state": row.state,
        "country": _country(row.country),
        "complement": row.complement,
    }


def _amounts(row: InvoiceFields | GroupRecord | LineRecord, currency: Currency) -> dict[str, Decimal]:
    return {
        "subtotalAmount": number(row.subtotal_amount, currency),
        "adjustmentAmount": number(row.adjustment_amount, currency),
        "totalAmount": number(row.total_amount, currency),
        "discountAmount": number(row.discount_amount, currency),
    }


# -- sub line items --------------------------------------------------------------------------------


def _num(meta: Mapping[str, Any], key: str, default: Decimal | None = None) -> Decimal | None:
    value = meta.get(key)
    return default if value is None else Decimal(str(value))


def _text(meta: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    value = meta.get(key)
    return default if value is None else str(value)


def _tier(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {"from": _num(meta, "from", Decimal(0)), "to": _num(meta, "to")}


def sub_metadata(kind: str, meta: Mapping[str, Any], amount: Decimal) -> dict[str, Any]:
    """Aira's typed metadata for a sub line item, from the facts Billfold stored with it."""
    zero = Decimal(0)
    if kind == "fixed_price":
        return {"type": kind, "fixedPrice": _num(meta, "fixedPrice", amount)}
    if kind == "minimum_amount":
        applied = _num(meta, "minimumAmountApplied", amount)
        return {
            "type": kind,
            "minimumAmount": _num(meta, "minimumAmount", applied),
            "minimumAmountApplied": applied,
        }
    if kind == "price_tier_flat":
        fee = _text(meta, "flatFee") or _text(meta, "fixedPrice") or plain(amount)
        return {"type": kind, **_tier(meta), "fixedPrice": fee}
    if kind == "price_tier_unit":
        price = _text(meta, "unitPrice", "0")
        return {"type": kind, **_tier(meta), "price": price, "fixedPrice": _text(meta, "flatFee")}
    if kind == "price_tier_package":
        size = _num(meta, "packageSize", zero)
        price = _text(meta, "packagePrice", "0")
        return {
            "type": kind,
            **_tier(meta),
            "packageSize": size,
            "price": price,
            "fixedPrice": _text(meta, "flatFee"),
        }
    if kind == "price_tier_basis_points":
        return {
            "type": kind,
            **_tier(meta),
            "basisPoints": _num(meta, "basisPoints", zero),
            "fixedPrice": None,
        }
    if kind == "proration":
        return {
            "type": kind,
            "intervalSize": _num(meta, "days", zero),
            "amount": _text(meta, "unitPrice", plain(amount)),
            "usage": _num(meta, "quantity", zero),
            "intervalStart": _text(meta, "startDate"),
            "intervalEnd": _text(meta, "endDate"),
        }
    return {"type": "unit_price", "price": _text(meta, "unitPrice", "0")}


def _stored_sub_line(sub: Mapping[str, Any], currency: Currency) -> dict[str, Any]:
    amount = number(Decimal(str(sub["amount"])), currency)
    kind = str(sub.get("type", "unit_price"))
    return {
        "id": str(sub["id"]),
        "type": kind,
        "name": str(sub.get("name", "")),
        "description": None,
        "usage": _num(sub, "usage"),
        "amount": amount,
        "metadata": sub_metadata(kind, camel_keys(sub.get("metadata") or {}), amount),
    }


def sub_line_items(row: LineRecord, currency: Currency) -> list[dict[str, Any]]:
    if row.sub_lines:
        return [_stored_sub_line(sub, currency) for sub in row.sub_lines]
    if row.pricing not in ("unit_price", "amount"):
        return []
    amount = number(row.subtotal_amount, currency)
    kind = "unit_price" if row.pricing == "unit_price" else "fixed_price"
    metadata: dict[str, Any] = (
        {"type": kind, "price": plain(row.unit_price)}
        if kind == "unit_price"
        else {"type": kind, "fixedPrice": amount}
    )
    return [
        {
            "id": str(uuid.uuid5(uuid.UUID(row.id), kind)),
            "type": kind,
            "name": row.name,
            "description": row.description,
            "usage": count(row.quantity),
            "amount": amount,
            "metadata": metadata,
        }
    ]


def _line_metadata(row: LineRecord, currency: Currency, minimum: Decimal | None) -> dict[str, Any] | None:
    if row.scope == "metric":
        kinds = {str(sub.get("type")) for sub in row.sub_lines or []}
        return {
            "type": "metric",
            "billingModel": "proration" if "proration" in kinds else "in_full",
            "priceTierDivision": "progressive" if row.price_model in PROGRESSIVE_MODELS else "unique_tier",
        }
    if row.scope in MINIMUM_SCOPES:
        applied = number(row.subtotal_amount, currency)
        floor = applied if minimum is None else number(minimum, currency)
        return {"type": row.scope, "minimumAmount": floor, "minimumAmountApplied": applied}
    return None


def adjustments(row: LineRecord, currency: Currency) -> list[dict[str, Any]]:
    """The line's ``adjustments``: ``{id, name, type, amount}``, named after the adjustment's reason
    (or its kind when it has none)."""
    shown = []
    for share in adjustment_shares(row):
        kind = str(share["type"])
        aira_type = ADJUSTMENT_TYPES.get(kind)
        if aira_type is None:
            continue
        shown.append(
            {
                "id": str(share["id"]),
                "name": str(share.get("name") or kind.replace("_", " ").capitalize()),
                "type": aira_type,
                "amount": number(Decimal(str(share["amount"])), currency),
            }
        )
    return shown


def line(
    row: LineRecord, currency: Currency, customer_id: object, minimum: Decimal | None = None
) -> dict[str, Any]:
    managed = row.pricing == "minimum"
    usage = row.total_usage if row.total_usage is not None else (None if managed else row.quantity)
    usage = None if usage is None else count(usage)
    return {
        "id": row.id,
        "idempotencyKey": row.idempotency_key,
        "customerId": str(customer_id),
        "productId": row.product_id,
        "itemId": None,
        "resourceId": None,
        "lineItemGroupId": _uid(row.group_id),
        "name": row.name,
        "scope": row.scope if row.scope in SCOPES else "one_off",
        "startDate": row.start_date.isoformat(),
        "endDate": row.end_date.isoformat(),
        "totalUsage": usage,
        "usageFormat": row.usage_format or (None if usage is None else "unit"),
        **_amounts(row, currency),
        "metadata": _line_metadata(row, currency, minimum),
        "subLineItems": sub_line_items(row, currency),
        "adjustments": adjustments(row, currency),
    }


def group(
    row: GroupRecord, currency: Currency, customer_id: object, minimum: Decimal | None = None
) -> dict[str, Any]:
    return {
        "id": row.id,
        "idempotencyKey": row.idempotency_key,
        "customerId": str(customer_id),
        "productId": str(row.product_id),
        "planId": None,
        "planInstanceId": None,
        "name": row.name,
        "startDate": row.start_date.isoformat(),
        "endDate": row.end_date.isoformat(),
        **_amounts(row, currency),
        "lineItems": [line(item, currency, customer_id, minimum) for item in row.lines],
    }


def invoice(record: InvoiceRecord, issuing: m.IssuingAccount, billing: m.PaymentAccount) -> dict[str, Any]:
    row, currency = record.invoice, record.currency
    minimum = row.minimum_amount
    return {
        "id": row.id,
        "idempotencyKey": row.idempotency_key,
        "customerId": row.customer_id,
        "paymentAccountId": row.payment_account_id,
        "contractId": row.contract_id,
        "issuingAccount": party(issuing),
        "billingAccount": party(billing),
        "invoiceAllocationStrategy": row.allocation_strategy,
        "lastCalculatedAt": stamp(row.last_calculated_at),
        "invoiceNumber": row.invoice_number or "",
        "invoiceDate": row.invoice_date.isoformat(),
        "memo": row.memo,
        **_amounts(row, currency),
        "status": status(row.figures),
        "isLocked": row.status != "draft",
        "failureReason": None,
        "source": row.source,
        "autoIssue": row.auto_issue,
        "amountDue": number(row.figures.amount_due, currency),
        "dueDate": _day(row.due_date),
        "lineItemGroups": [group(g, currency, row.customer_id, minimum) for g in record.groups],
        "standaloneLineItems": [line(item, currency, row.customer_id, minimum) for item in record.standalone],
    }
