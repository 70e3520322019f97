"""Turn loaded rows into the native API's JSON: camelCase, money as fixed-point strings.

Amounts are shown with exactly the currency's minor-unit places (``"10.50"`` in USD, ``"1050"`` in JPY,
``"1.050"`` in BHD); unit prices and quantities keep their own precision without trailing zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from billfold.api import invoice_answers as answers
from billfold.api.invoice_answers import amounts, day, money, timestamp, uid
from billfold.core.money import Currency, to_plain_normalized
from billfold.db import models as m
from billfold.services.credits import GRANT, CreditBalance, CreditLedger, LedgerEntry, referenced_grant
from billfold.services.currencies import currency as lookup_currency
from billfold.services.document_data import vat_category_for
from billfold.services.invoice_records import group_record, invoice_fields, line_record, record_of
from billfold.services.invoices import InvoiceView, LineData

__all__ = ["amounts", "day", "money", "timestamp", "uid"]


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
    """A loaded line's answer (a wrapper: the line as its record, rendered by
    :func:`billfold.api.invoice_answers.line`)."""
    return answers.line(line_record(row), str(customer_id), answers.Formats(currency))


def group(
    row: m.LineItemGroup, currency: Currency, customer_id: object, lines: list[LineData]
) -> dict[str, Any]:
    """A loaded group's answer (a wrapper over :func:`billfold.api.invoice_answers.group`)."""
    record = group_record(row, [line_record(item) for item in lines])
    return answers.group(record, str(customer_id), answers.Formats(currency))


def invoice_summary(row: m.Invoice, currency: Currency, today: date | None = None) -> dict[str, Any]:
    """``today`` is the organization's date (for the derived ``overdue``); UTC's when not given."""
    return answers.summary(invoice_fields(row, currency, today))


def invoice(view: InvoiceView) -> dict[str, Any]:
    """A loaded invoice's answer (a wrapper: the view as its record, rendered by
    :func:`billfold.api.invoice_answers.invoice`)."""
    return answers.invoice(record_of(view))


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
    figures = invoice_fields(invoice_row, currency, today).figures
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
        "invoiceStatus": figures.effective_status,
        "invoiceAmountPaid": money(figures.amount_paid, currency),
        "invoiceAmountRemaining": money(figures.amount_remaining, currency),
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


def credit_entry(row: LedgerEntry) -> dict[str, Any]:
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
        "remaining": _remaining(row),
        "createdAt": timestamp(row.created_at),
    }


def _remaining(row: LedgerEntry) -> str | None:
    """What a grant still holds (expired or not); ``None`` for entries that are not grants."""
    if row.kind != GRANT:
        return None
    return money(row.remaining if row.remaining is not None else Decimal(0), lookup_currency(row.currency))


def credit_balances(balances: Sequence[CreditBalance]) -> list[dict[str, Any]]:
    """The credit available per currency."""
    return [
        {"currency": balance.currency.code, "available": money(balance.available, balance.currency)}
        for balance in balances
    ]


def credit_ledger(view: CreditLedger) -> dict[str, Any]:
    """A page of the ledger, newest first, and the balances."""
    paged = page([credit_entry(row) for row in view.entries], view.has_more)
    return {"data": paged["data"], "balances": credit_balances(view.balances), **paged}
