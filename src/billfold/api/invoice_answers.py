"""The native API's invoice, group and line answers, rendered from the document model's API records
(:mod:`billfold.documents.records`): pure formatting, no figure is worked out here.

Amounts have exactly the currency's places; unit prices and quantities keep their own precision
without trailing zeros. A 1,000-line answer is built with the format spec, the invoice's ids and the
repeated values (quantities, timestamps) formatted once per answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

from billfold.core.money import ZERO, Currency, to_plain_normalized
from billfold.documents.records import (
    Figures,
    GroupRecord,
    InvoiceFields,
    InvoiceRecord,
    LineRecord,
    TaxAmount,
    WrittenLine,
)
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


class Formats:
    """One answer's formatting: money in its currency, plain numbers, dates and timestamps, each
    distinct value formatted once for the length of the answer (a 1,000-line invoice repeats its
    quantities, prices, zero amounts, dates and creation time). Formatting depends on the value only,
    so a value formatted once reads the same everywhere in the answer."""

    __slots__ = ("_days", "_money", "_plain", "_stamps", "currency", "spec")

    def __init__(self, currency: Currency) -> None:
        self.currency = currency
        self.spec = _SPECS[currency.exponent]
        self._money: dict[Decimal, str] = {}
        self._plain: dict[Decimal, str] = {}
        self._days: dict[date, str] = {}
        self._stamps: dict[datetime, str] = {}

    def money(self, value: Decimal) -> str:
        found = self._money.get(value)
        if found is None:
            text = format(value, self.spec)
            found = self._money[value] = text[1:] if text[0] == "-" and not value else text
        return found

    def plain(self, value: Decimal) -> str:
        found = self._plain.get(value)
        if found is None:
            found = self._plain[value] = to_plain_normalized(value)
        return found

    def day(self, value: date) -> str:
        found = self._days.get(value)
        if found is None:
            found = self._days[value] = value.isoformat()
        return found

    def stamp(self, value: datetime) -> str:
        found = self._stamps.get(value)
        if found is None:
            found = self._stamps[value] = value.isoformat(timespec="milliseconds") + "Z"
        return found


def amounts(row: Any, currency: Currency) -> dict[str, str]:
    """The six amounts every invoice, group and line shows."""
    return {
        "subtotalAmount": money(row.subtotal_amount, currency),
        "discountAmount": money(row.discount_amount, currency),
        "adjustmentAmount": money(row.adjustment_amount, currency),
        "netAmount": money(row.net_amount, currency),
        "taxAmount": money(row.tax_amount, currency),
        "totalAmount": money(row.total_amount, currency),
    }


def definition(item: Mapping[str, Any], currency: Currency) -> dict[str, Any]:
    """An adjustment definition (stored neutral, snake_case) in the API's shape."""
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


def _definitions(items: list[dict[str, Any]] | None, currency: Currency) -> list[dict[str, Any]]:
    return [definition(item, currency) for item in items] if items else []


def _taxes(taxes: tuple[TaxAmount, ...], cash: Callable[[Decimal], str]) -> list[dict[str, Any]]:
    return [
        {
            "taxCategoryId": item.tax.category_id,
            "rate": item.tax.rate_text,
            "inclusive": item.tax.inclusive,
            "amount": cash(item.amount),
        }
        for item in taxes
    ]


def line(row: LineRecord, customer_id: str, formats: Formats) -> dict[str, Any]:
    """A line item's answer."""
    cash, plain, day_text, currency = formats.money, formats.plain, formats.day, formats.currency
    tax, shares = row.tax, row.adjustment_shares
    return {
        "id": row.id,
        "object": "line_item",
        "invoiceId": row.invoice_id,
        "customerId": customer_id,
        "lineItemGroupId": row.group_id,
        "productId": row.product_id,
        "idempotencyKey": row.idempotency_key,
        "index": row.position,
        "name": row.name,
        "description": row.description,
        "scope": row.scope,
        "startDate": day_text(row.start_date),
        "endDate": day_text(row.end_date),
        "pricing": row.pricing,
        "unitCode": row.unit_code or "C62",
        "quantity": plain(row.quantity),
        "unitPrice": plain(row.unit_price),
        "currency": currency.code,
        "priceId": row.price_id,
        "price": None if row.price_model is None else {"model": row.price_model, **(row.price_config or {})},
        "usage": None if row.usage_input is None else camel_keys(row.usage_input),
        "totalUsage": None if row.total_usage is None else plain(row.total_usage),
        "usageFormat": row.usage_format,
        "subLineItems": camel_keys(row.sub_lines) if row.sub_lines else [],
        "subtotalAmount": cash(row.subtotal_amount),
        "discountAmount": cash(row.discount_amount),
        "adjustmentAmount": cash(row.adjustment_amount),
        "netAmount": cash(row.net_amount),
        "taxAmount": cash(row.tax_amount),
        "totalAmount": cash(row.total_amount),
        "taxCategoryId": None if tax is None else tax.category_id,
        "taxAmounts": []
        if tax is None
        else [
            {
                "taxCategoryId": tax.category_id,
                "rate": tax.rate_text,
                "inclusive": tax.inclusive,
                "amount": cash(row.tax_amount),
            }
        ],
        "adjustments": [{**share, "amount": cash(Decimal(share["amount"]))} for share in shares]
        if shares
        else [],
        "adjustmentDefinitions": _definitions(row.adjustments, currency),
        "creditsAppliedAmount": cash(row.credits_applied_amount or ZERO),
        "createdAt": formats.stamp(row.created_at),
    }


def kept_line(answer: dict[str, Any]) -> str:
    """A line's answer (:func:`line`) as ``line_items.answer`` keeps it (migration 0014's trigger writes
    the same bytes): compact JSON with U+0001 in place of the invoice's ``customerId`` and U+0002 in
    place of its ``currency``, put back as it is read. orjson escapes the two characters in the values
    it writes, so only the two placeholders, found by their keys, are unescaped."""
    text = orjson.dumps({**answer, "customerId": "\x01", "currency": "\x02"}).decode()
    return text.replace('"customerId":"\\u0001"', '"customerId":"\x01"', 1).replace(
        '"currency":"\\u0002"', '"currency":"\x02"', 1
    )


class _Texts(dict[Any, str]):
    """Each distinct value's text, made once by ``make``: a lookup that finds it calls no Python."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[Any], str]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, value: Any) -> str:
        text = self[value] = self.make(value)
        return text


def _json_text(value: str | None) -> str:
    return orjson.dumps(value).decode()


def kept_lines(records: Sequence[LineRecord], currency: Currency) -> list[str]:
    """Lines' answers as ``line_items.answer`` keeps them: a bulk create's, inserted with its lines.

    Each is :func:`kept_line` of :func:`line` (``tests/api/test_invoice_answers.py`` holds them
    byte-equal, and the database's trigger writes the same bytes), written straight as text for a line
    the trigger would write (no price model, usage, sub-lines, adjustments or shares): building and
    serializing each line's mapping cost twice as much. Every text goes through orjson (escaped as
    :func:`kept_line` escapes it), each distinct value once; ids are uuids' text, which needs none."""
    formats = Formats(currency)
    texts, cash = _Texts(_json_text), _Texts(formats.money)
    plain, day, stamp = _Texts(formats.plain), _Texts(formats.day), _Texts(formats.stamp)
    kept = []
    for row in records:
        if row.price_model is not None or row.usage_input is not None:
            kept.append(kept_line(line(row, "", formats)))
            continue
        if row.sub_lines or row.adjustments or row.adjustment_shares:
            kept.append(kept_line(line(row, "", formats)))
            continue
        tax = row.tax
        if tax is None:
            taxed = '"taxCategoryId":null,"taxAmounts":[]'
        else:
            category = texts[tax.category_id]
            taxed = (
                f'"taxCategoryId":{category},"taxAmounts":[{{"taxCategoryId":{category},'
                f'"rate":{texts[tax.rate_text]},"inclusive":{"true" if tax.inclusive else "false"},'
                f'"amount":"{cash[row.tax_amount]}"}}]'
            )
        usage = "null" if row.total_usage is None else f'"{plain[row.total_usage]}"'
        kept.append(
            f'{{"id":"{row.id}","object":"line_item","invoiceId":"{row.invoice_id}",'
            f'"customerId":"\x01","lineItemGroupId":{texts[row.group_id]},'
            f'"productId":"{row.product_id}","idempotencyKey":{_json_text(row.idempotency_key)},'
            f'"index":{row.position},"name":{texts[row.name]},"description":{texts[row.description]},'
            f'"scope":{texts[row.scope]},"startDate":"{day[row.start_date]}","endDate":"{day[row.end_date]}",'
            f'"pricing":{texts[row.pricing]},"unitCode":{texts[row.unit_code or "C62"]},'
            f'"quantity":"{plain[row.quantity]}","unitPrice":"{plain[row.unit_price]}",'
            f'"currency":"\x02","priceId":{texts[row.price_id]},"price":null,"usage":null,'
            f'"totalUsage":{usage},"usageFormat":{texts[row.usage_format]},"subLineItems":[],'
            f'"subtotalAmount":"{cash[row.subtotal_amount]}","discountAmount":"{cash[row.discount_amount]}",'
            f'"adjustmentAmount":"{cash[row.adjustment_amount]}","netAmount":"{cash[row.net_amount]}",'
            f'"taxAmount":"{cash[row.tax_amount]}","totalAmount":"{cash[row.total_amount]}",{taxed},'
            f'"adjustments":[],"adjustmentDefinitions":[],'
            f'"creditsAppliedAmount":"{cash[row.credits_applied_amount or ZERO]}",'
            f'"createdAt":"{stamp[row.created_at]}"}}'
        )
    return kept


def _answer(item: LineRecord | WrittenLine, customer_id: str, formats: Formats) -> Any:
    """A line's answer: written by the database already, or written here."""
    if isinstance(item, WrittenLine):
        return orjson.Fragment(item.answer)
    return line(item, customer_id, formats)


def _lines(
    lines: Sequence[LineRecord],
    answers: str | Sequence[LineRecord | WrittenLine] | None,
    customer_id: str,
    formats: Formats,
) -> Any:
    """A group's or the invoice's lines: from their records, or the native read's answers (kept by the
    database and joined, or one by one)."""
    if answers is None:
        return [line(item, customer_id, formats) for item in lines]
    if isinstance(answers, str):
        return orjson.Fragment(f"[{answers}]")
    return [_answer(item, customer_id, formats) for item in answers]


def group(
    row: GroupRecord,
    customer_id: str,
    formats: Formats,
    answers: str | Sequence[LineRecord | WrittenLine] | None = None,
) -> dict[str, Any]:
    """A line item group's answer, with its lines (``answers``: the native read's, else its records)."""
    currency = formats.currency
    return {
        "id": row.id,
        "object": "line_item_group",
        "invoiceId": row.invoice_id,
        "customerId": customer_id,
        "productId": row.product_id,
        "idempotencyKey": row.idempotency_key,
        "index": row.position,
        "name": row.name,
        "description": row.description,
        "startDate": row.start_date.isoformat(),
        "endDate": row.end_date.isoformat(),
        "currency": currency.code,
        "taxCategoryId": row.tax_category_id,
        **amounts(row, currency),
        "taxAmounts": _taxes(row.taxes, formats.money),
        "adjustmentDefinitions": _definitions(row.adjustments, currency),
        "lineItems": _lines(row.lines, answers, customer_id, formats),
        "createdAt": timestamp(row.created_at),
    }


def document_links(hosted_token: str | None) -> dict[str, str | None]:
    """``hostedInvoiceUrl`` and ``pdfUrl`` (absolute) once the invoice is issued; ``None`` before."""
    page, pdf = links_of(hosted_token)
    return {"hostedInvoiceUrl": page, "pdfUrl": pdf}


def summary(row: InvoiceFields) -> dict[str, Any]:
    """The invoice without its lines (lists, webhook payloads)."""
    currency, figures = row.currency, row.figures
    return {
        "id": row.id,
        "object": "invoice",
        "idempotencyKey": row.idempotency_key,
        "customerId": row.customer_id,
        "paymentAccountId": row.payment_account_id,
        "issuingAccountId": row.issuing_account_id,
        "contractId": row.contract_id,
        "status": figures.effective_status,
        "isLocked": row.status != "draft",
        "source": row.source,
        "autoIssue": row.auto_issue,
        "invoiceAllocationStrategy": row.allocation_strategy,
        "invoiceNumber": row.invoice_number,
        "series": row.series,
        "currency": currency.code,
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
        **document_links(row.hosted_token),
        "minimum": None
        if row.minimum_amount is None
        else {"amount": money(row.minimum_amount, currency), "scope": row.minimum_scope},
        **amounts(row, currency),
        **owed(figures, currency),
        "lastCalculatedAt": timestamp(row.last_calculated_at),
        "createdAt": timestamp(row.created_at),
        "updatedAt": timestamp(row.updated_at),
    }


def owed(figures: Figures, currency: Currency) -> dict[str, str]:
    return {
        "creditsAppliedAmount": money(figures.credits_applied, currency),
        "amountDue": money(figures.amount_due, currency),
        "amountPaid": money(figures.amount_paid, currency),
        "amountRemaining": money(figures.amount_remaining, currency),
        "creditedAmount": money(figures.credited, currency),
        "refundedAmount": money(figures.refunded, currency),
    }


def invoice(record: InvoiceRecord) -> dict[str, Any]:
    """The whole invoice: its summary, the calculation's results, its groups, lines and credit notes."""
    fields, currency = record.invoice, record.currency
    formats = Formats(currency)
    customer_id = fields.customer_id
    if record.answers is None:
        groups = [group(row, customer_id, formats) for row in record.groups]
        standalone = _lines(record.standalone, None, customer_id, formats)
    else:
        answers = record.answers
        groups = [group(row, customer_id, formats, answers.get(row.id, ())) for row in record.groups]
        standalone = _lines((), answers.get(None, ()), customer_id, formats)
    return {
        **summary(fields),
        **calculation(record.calculation, fields),
        "lineItemGroups": groups,
        "standaloneLineItems": standalone,
        "creditNotes": [
            {
                "id": note.id,
                "number": note.number,
                "status": note.status,
                "issueDate": day(note.issue_date),
                "totalAmount": money(note.total_amount, currency),
                "reductionAmount": money(note.reduction_amount, currency),
            }
            for note in record.credit_notes
        ],
    }


def calculation(result: Mapping[str, Any], row: InvoiceFields) -> dict[str, Any]:
    """The invoice-level results: tax summary, adjustments (definition and what they did), the percent
    split's shares and the customer's withholdings."""
    currency = row.currency

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
                **definition(raw, currency),
                "appliedAmount": cash(applied.get(raw["id"], {}).get("amount")),
                "unappliedAmount": cash(applied.get(raw["id"], {}).get("unapplied_amount")),
            }
            for raw in row.adjustments or []
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
