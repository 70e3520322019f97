"""Turn loaded rows into the native API's JSON: camelCase, money as fixed-point strings.

Amounts are shown with exactly the currency's minor-unit places (``"10.50"`` in USD, ``"1050"`` in JPY,
``"1.050"`` in BHD); unit prices and quantities keep their own precision without trailing zeros.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from billfold.core.lifecycle import amount_due as due_of
from billfold.core.lifecycle import amount_remaining, effective_status
from billfold.core.money import ZERO, Currency, to_plain_normalized
from billfold.db import models as m
from billfold.services.credits import CreditLedger, referenced_grant
from billfold.services.currencies import currency as lookup_currency
from billfold.services.document_data import vat_category_for
from billfold.services.invoices import InvoiceView, LineData
from billfold.web.public_url import document_links as links_of
from billfold.web.shape import camel_keys

_SPECS = [f".{places}f" for places in range(10)]


def money(value: Decimal, currency: Currency) -> str:
    """Exactly the currency's places. Stored amounts are already multiples of its minor unit, so the
    fixed-point format only pads; it never rounds."""
    text = format(value, _SPECS[currency.exponent])
    return text[1:] if text[0] == "-" and not value else text


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="milliseconds") + "Z"


def uid(value: object) -> str | None:
    return None if value is None else str(value)


def amounts(row: m.Invoice | m.LineItemGroup | LineData, currency: Currency) -> dict[str, str]:
    return {
        "subtotalAmount": money(row.subtotal_amount, currency),
        "discountAmount": money(row.discount_amount, currency),
        "adjustmentAmount": money(row.adjustment_amount, currency),
        "netAmount": money(row.net_amount, currency),
        "taxAmount": money(row.tax_amount, currency),
        "totalAmount": money(row.total_amount, currency),
    }


def details(row: m.IssuingAccount | m.Customer | m.PaymentAccount) -> dict[str, Any]:
    return {
        "tradeName": row.trade_name,
        "businessName": row.business_name,
        "emails": list(row.emails or []),
        "taxId": row.tax_id,
        "taxIdType": row.tax_id_type,
        "address": {
            "street": row.street,
            "number": row.number,
            "complement": row.complement,
            "neighborhood": row.neighborhood,
            "city": row.city,
            "state": row.state,
            "zipCode": row.zip_code,
            "country": row.country,
        },
    }


def customer(row: m.Customer) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "object": "customer",
        "name": row.name,
        "externalCustomerId": row.external_customer_id,
        "currency": row.currency,
        "paymentTermsDays": row.payment_terms_days,
        "withholdingRates": [
            {"name": rate["name"], "rate": rate["rate"], "rounding": rate["rounding"]}
            for rate in row.withholding_rates or []
        ],
        "idempotencyKey": row.idempotency_key,
        **details(row),
        "electronicAddress": _electronic_address(row),
        "locale": row.locale,
        "createdAt": timestamp(row.created_at),
    }


def _electronic_address(row: m.IssuingAccount | m.Customer) -> dict[str, str] | None:
    if row.electronic_address is None or row.electronic_address_scheme is None:
        return None
    return {"value": row.electronic_address, "scheme": row.electronic_address_scheme}


def payment_account(row: m.PaymentAccount) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "object": "payment_account",
        "customerId": str(row.customer_id),
        "isDefault": row.is_default,
        "idempotencyKey": row.idempotency_key,
        **details(row),
        "createdAt": timestamp(row.created_at),
    }


def issuing_account(row: m.IssuingAccount) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "object": "issuing_account",
        "isDefault": row.is_default,
        "numberPrefix": row.number_prefix,
        "numberFormat": row.number_format,
        "creditNoteNumberPrefix": row.credit_note_number_prefix,
        "creditNoteNumberFormat": row.credit_note_number_format,
        "idempotencyKey": row.idempotency_key,
        **details(row),
        "vatId": row.vat_id,
        "legalRegistrationId": row.legal_registration_id,
        "contact": {"name": row.contact_name, "phone": row.contact_phone, "email": row.contact_email},
        "iban": row.iban,
        "bic": row.bic,
        "electronicAddress": _electronic_address(row),
        "createdAt": timestamp(row.created_at),
    }


def product(row: m.Product) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "object": "product",
        "name": row.name,
        "description": row.description,
        "defaultUnitPrice": None
        if row.default_unit_price is None
        else to_plain_normalized(row.default_unit_price),
        "taxCategory": row.tax_category,
        "taxCategoryId": uid(row.tax_category_id),
        "archived": row.archived_at is not None,
        "archivedAt": timestamp(row.archived_at),
        "idempotencyKey": row.idempotency_key,
        "createdAt": timestamp(row.created_at),
    }


def line(row: LineData, currency: Currency, customer_id: object) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "object": "line_item",
        "invoiceId": str(row.invoice_id),
        "customerId": str(customer_id),
        "lineItemGroupId": uid(row.group_id),
        "productId": str(row.product_id),
        "idempotencyKey": row.idempotency_key,
        "index": row.position,
        "name": row.name,
        "description": row.description,
        "scope": row.scope,
        "startDate": day(row.start_date),
        "endDate": day(row.end_date),
        "pricing": row.pricing,
        "unitCode": getattr(row, "unit_code", None) or "C62",
        "quantity": to_plain_normalized(row.quantity),
        "unitPrice": to_plain_normalized(row.unit_price),
        "currency": currency.code,
        "priceId": uid(row.price_id),
        "price": None if row.price_model is None else {"model": row.price_model, **(row.price_config or {})},
        "usage": camel_keys(row.usage_input),
        "totalUsage": None if row.total_usage is None else to_plain_normalized(row.total_usage),
        "usageFormat": row.usage_format,
        "subLineItems": camel_keys(row.sub_lines or []),
        **amounts(row, currency),
        "taxCategoryId": uid(row.tax_key_category_id),
        "taxAmounts": _line_taxes(row, currency),
        "adjustments": _shares(row.adjustment_shares, currency),
        "adjustmentDefinitions": _definitions(row.adjustments, currency),
        "creditsAppliedAmount": money(row.credits_applied_amount or ZERO, currency),
        "createdAt": timestamp(row.created_at),
    }


def group(
    row: m.LineItemGroup, currency: Currency, customer_id: object, lines: list[LineData]
) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "object": "line_item_group",
        "invoiceId": str(row.invoice_id),
        "customerId": str(customer_id),
        "productId": uid(row.product_id),
        "idempotencyKey": row.idempotency_key,
        "index": row.position,
        "name": row.name,
        "description": row.description,
        "startDate": day(row.start_date),
        "endDate": day(row.end_date),
        "currency": currency.code,
        "taxCategoryId": uid(row.tax_category_id),
        **amounts(row, currency),
        "taxAmounts": _sum_taxes(lines, currency),
        "adjustmentDefinitions": _definitions(row.adjustments, currency),
        "lineItems": [line(item, currency, customer_id) for item in lines],
        "createdAt": timestamp(row.created_at),
    }


def invoice_summary(row: m.Invoice, currency: Currency, today: date | None = None) -> dict[str, Any]:
    """``today`` is the organization's date (for the derived ``overdue``); UTC's when not given."""
    amount_due = due_of(row.total_amount, row.credits_applied_amount)
    status = effective_status(row.status, row.due_date, today or datetime.now(UTC).date())
    return {
        "id": str(row.id),
        "object": "invoice",
        "idempotencyKey": row.idempotency_key,
        "customerId": str(row.customer_id),
        "paymentAccountId": str(row.payment_account_id),
        "issuingAccountId": str(row.issuing_account_id),
        "contractId": uid(row.contract_id),
        "status": status,
        "isLocked": row.status != "draft",
        "source": row.source,
        "autoIssue": row.auto_issue,
        "invoiceAllocationStrategy": row.allocation_strategy,
        "invoiceNumber": row.invoice_number,
        "series": row.series,
        "currency": row.currency,
        "invoiceDate": day(row.invoice_date),
        "periodStart": day(row.period_start),
        "periodEnd": day(row.period_end),
        "issueDate": day(row.issue_date),
        "dueDate": day(row.due_date),
        "paymentTermsDays": row.payment_terms_days,
        "voidReason": row.void_reason,
        "memo": row.memo,
        "buyerReference": row.buyer_reference,
        "purchaseOrder": row.purchase_order,
        "deliveryDate": day(row.delivery_date),
        "deliveryCountry": row.delivery_country,
        **document_links(row),
        "minimum": None
        if row.minimum_amount is None
        else {"amount": money(row.minimum_amount, currency), "scope": row.minimum_scope},
        **amounts(row, currency),
        "creditsAppliedAmount": money(row.credits_applied_amount, currency),
        "amountDue": money(amount_due, currency),
        "amountPaid": money(row.amount_paid, currency),
        "amountRemaining": money(amount_due - row.amount_paid - row.reduced_amount, currency),
        "creditedAmount": money(row.credited_amount, currency),
        "refundedAmount": money(row.refunded_amount, currency),
        "lastCalculatedAt": timestamp(row.last_calculated_at),
        "createdAt": timestamp(row.created_at),
        "updatedAt": timestamp(row.updated_at),
    }


def document_links(row: m.Invoice) -> dict[str, str | None]:
    """``hostedInvoiceUrl`` and ``pdfUrl`` (absolute) once the invoice is issued; ``None`` before."""
    page, pdf = links_of(row.hosted_token)
    return {"hostedInvoiceUrl": page, "pdfUrl": pdf}


def invoice(view: InvoiceView) -> dict[str, Any]:
    customer_id = view.invoice.customer_id
    by_group: dict[object, list[LineData]] = {}
    for item in view.lines:
        by_group.setdefault(item.group_id, []).append(item)
    return {
        **invoice_summary(view.invoice, view.currency, view.today),
        **calculation(view.calculation or {}, view.invoice, view.currency),
        "lineItemGroups": [
            group(row, view.currency, customer_id, by_group.get(row.id, [])) for row in view.groups
        ],
        "standaloneLineItems": [line(item, view.currency, customer_id) for item in by_group.get(None, [])],
        "creditNotes": [
            {
                "id": str(note.id),
                "number": note.number,
                "status": note.status,
                "issueDate": day(note.issue_date),
                "totalAmount": money(note.total_amount, view.currency),
                "reductionAmount": money(note.reduction_amount, view.currency),
            }
            for note in view.credit_notes
        ],
    }


def page(items: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {"data": items, "hasMore": has_more, "nextCursor": items[-1]["id"] if has_more and items else None}


def price(row: m.Price) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "object": "price",
        "productId": str(row.product_id),
        "currency": row.currency,
        "model": row.model,
        **row.config,
        "archived": row.archived_at is not None,
        "archivedAt": timestamp(row.archived_at),
        "idempotencyKey": row.idempotency_key,
        "createdAt": timestamp(row.created_at),
    }


def event(row: m.InvoiceEvent) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "object": "event",
        "sequence": row.sequence,
        "type": row.type,
        "resourceType": row.resource_type,
        "resourceId": str(row.resource_id),
        "invoiceId": uid(row.invoice_id),
        "fromStatus": row.from_status,
        "toStatus": row.to_status,
        "apiKeyId": uid(row.api_key_id),
        "data": row.data,
        "payload": row.payload,
        "createdAt": timestamp(row.created_at),
    }


def payment(row: m.Payment, invoice_row: m.Invoice, today: date | None = None) -> dict[str, Any]:
    currency = lookup_currency(invoice_row.currency)
    return {
        "id": str(row.id),
        "object": "payment",
        "type": "payment",
        "invoiceId": str(row.invoice_id),
        "amount": money(row.amount, currency),
        "appliedAmount": money(row.applied_amount, currency),
        "excessAmount": money(row.excess_amount, currency),
        "currency": invoice_row.currency,
        "date": day(row.payment_date),
        "method": row.method,
        "reference": row.reference,
        "idempotencyKey": row.idempotency_key,
        "invoiceStatus": effective_status(
            invoice_row.status, invoice_row.due_date, today or datetime.now(UTC).date()
        ),
        "invoiceAmountPaid": money(invoice_row.amount_paid, currency),
        "invoiceAmountRemaining": money(
            amount_remaining(
                invoice_row.total_amount,
                invoice_row.credits_applied_amount,
                invoice_row.amount_paid,
                invoice_row.reduced_amount,
            ),
            currency,
        ),
        "createdAt": timestamp(row.created_at),
    }


def tax_category(row: m.TaxCategory) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "object": "tax_category",
        "name": row.name,
        "rates": [
            {
                "rate": rate["rate"],
                "inclusive": rate["inclusive"],
                "country": rate["country"],
                "vatCategory": rate.get("vatCategory") or vat_category_for(Decimal(rate["rate"]), None),
                "exemptionReason": rate.get("exemptionReason"),
                "exemptionReasonCode": rate.get("exemptionReasonCode"),
            }
            for rate in row.rates
        ],
        "idempotencyKey": row.idempotency_key,
        "createdAt": timestamp(row.created_at),
    }


def organization(row: m.Organization) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "object": "organization",
        "name": row.name,
        "roundingMode": row.rounding_mode,
        "taxRounding": row.tax_rounding,
        "defaultTaxCategoryId": uid(row.default_tax_category_id),
        "timeZone": row.time_zone,
        "locale": row.locale,
        "createdAt": timestamp(row.created_at),
    }


def api_key(row: m.ApiKey) -> dict[str, Any]:
    """A key as listed: never the key nor its hash."""
    return {
        "id": str(row.id),
        "object": "api_key",
        "prefix": row.prefix,
        "name": row.name,
        "createdAt": timestamp(row.created_at),
        "revokedAt": timestamp(row.revoked_at),
    }


def credit_entry(row: m.CreditEntry) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "object": "credit_entry",
        "customerId": str(row.customer_id),
        "kind": row.kind,
        "amount": money(row.amount, lookup_currency(row.currency)),
        "currency": row.currency,
        "expiresOn": day(row.expires_at),
        "reason": row.reason,
        "grantId": referenced_grant(row),
        "invoiceId": uid(row.invoice_id),
        "paymentId": uid(row.payment_id),
        "createdAt": timestamp(row.created_at),
    }


def credit_ledger(view: CreditLedger) -> dict[str, Any]:
    """The whole ledger, newest first, and the balances; one page (``hasMore`` is always false)."""
    return {
        "data": [credit_entry(row) for row in view.entries],
        "balances": [
            {"currency": balance.currency.code, "available": money(balance.available, balance.currency)}
            for balance in view.balances
        ],
        "hasMore": False,
        "nextCursor": None,
    }


def _line_taxes(row: LineData, currency: Currency) -> list[dict[str, Any]]:
    """A line's tax per rate (a line has one rate, or none when untaxed)."""
    if row.tax_key_category_id is None:
        return []
    return [
        {
            "taxCategoryId": str(row.tax_key_category_id),
            "rate": str(row.tax_key_rate),
            "inclusive": bool(row.tax_key_inclusive),
            "amount": money(row.tax_amount, currency),
        }
    ]


def _sum_taxes(lines: list[LineData], currency: Currency) -> list[dict[str, Any]]:
    """A group's tax per rate: the sums of its lines' (in order of first use)."""
    totals: dict[tuple[str, str, bool], Decimal] = {}
    for item in lines:
        if item.tax_key_category_id is not None:
            key = (str(item.tax_key_category_id), str(item.tax_key_rate), bool(item.tax_key_inclusive))
            totals[key] = totals.get(key, ZERO) + item.tax_amount
    return [
        {"taxCategoryId": category, "rate": rate, "inclusive": inclusive, "amount": money(tax, currency)}
        for (category, rate, inclusive), tax in totals.items()
    ]


def _shares(shares: list[dict[str, Any]] | None, currency: Currency) -> list[dict[str, Any]]:
    return [{**share, "amount": money(Decimal(share["amount"]), currency)} for share in shares or []]


def _definitions(items: list[dict[str, Any]] | None, currency: Currency) -> list[dict[str, Any]]:
    """Adjustment definitions (stored neutral, snake_case) in the API's shape; money with the
    currency's places."""
    return [_definition(item, currency) for item in items or []]


def _definition(item: dict[str, Any], currency: Currency) -> dict[str, Any]:
    applies = item.get("applies_to")
    amount = item.get("amount")
    return {
        "id": item["id"],
        "type": item["type"],
        "amount": None if amount is None else money(Decimal(amount), currency),
        "percentage": item.get("percentage"),
        "quantity": item.get("quantity"),
        "appliesTo": None
        if applies is None
        else {
            "productIds": list(applies.get("product_ids") or []),
            "priceIds": list(applies.get("price_ids") or []),
        },
        "reason": item.get("reason"),
    }


def calculation(result: dict[str, Any], row: m.Invoice, currency: Currency) -> dict[str, Any]:
    """The invoice-level results: tax summary, adjustments (definition and what they did), the percent
    split's shares and the customer's withholdings."""

    def cash(value: str | None) -> str:
        return money(Decimal(value or "0"), currency)

    applied = {item["id"]: item for item in result.get("adjustments", [])}
    return {
        "taxSummary": [
            {
                "taxCategoryId": item["tax_category_id"],
                "rate": item["rate"],
                "inclusive": item["inclusive"],
                "taxableAmount": cash(item["taxable_amount"]),
                "taxAmount": cash(item["tax_amount"]),
            }
            for item in result.get("tax_summary", [])
        ],
        "adjustments": [
            {
                **_definition(definition, currency),
                "appliedAmount": cash(applied.get(definition["id"], {}).get("amount")),
                "unappliedAmount": cash(applied.get(definition["id"], {}).get("unapplied_amount")),
            }
            for definition in row.adjustments or []
        ],
        "allocations": [
            {
                "paymentAccountId": share["payment_account_id"],
                "percentage": share["percentage"],
                "netAmount": cash(share["net_amount"]),
                "taxAmount": cash(share["tax_amount"]),
                "totalAmount": cash(share["total_amount"]),
                "creditsAppliedAmount": cash(share["credits_applied_amount"]),
                "amountDue": cash(share["amount_due"]),
            }
            for share in result.get("shares", [])
        ],
        "withholdingRates": row.withholding_rates or [],
        "withholdings": [{**item, "amount": cash(item["amount"])} for item in result.get("withholdings", [])],
        "withholdingAmount": cash(result.get("withholding_amount")),
    }
