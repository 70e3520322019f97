"""The document model's API part: an invoice as the native API and every vendor dialect answer it.

:mod:`billfold.documents.model` is the legal picture of an invoice (PDF, hosted page, UBL, CII); this
module is the same invoice with what the API answers need besides: the raw fields a client reads back
(ids, idempotency keys, pricing configuration, usage input, timestamps) and the figures derived once,
here, for every answer:

* :class:`Figures`: the status as read (``overdue`` derived with the organization's today), the amount
  due, paid, remaining, credited and refunded. Nothing else works these out.
* :class:`TaxRate`: a line's resolved rate (tax category, percent, inclusive), one object per rate of
  the invoice; :class:`GroupRecord` carries its tax per rate, summed once.

Records are plain frozen values (ids as text, amounts as the engine's :class:`~decimal.Decimal`);
renderers only format them. The loader is ``billfold.services.invoice_records``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from billfold.core.lifecycle import amount_due as amount_due_of
from billfold.core.lifecycle import effective_status
from billfold.core.money import ZERO, Currency

OVERDUE = "overdue"


@dataclass(frozen=True, slots=True, kw_only=True)
class Figures:
    """What an invoice's answers derive from its stored amounts and status, worked out once.

    ``status`` is the stored lifecycle status, ``effective_status`` the status as read (``overdue`` for
    an issued invoice past its due date, on the organization's today); ``amount_due`` is the total less
    the credits applied, never negative; ``amount_remaining`` is that less payments and what credit
    notes took off it (``reduced``). ``overdue_unpaid``: overdue with something still to pay (the
    vendors' ``overdue``)."""

    status: str
    effective_status: str
    amount_due: Decimal
    amount_paid: Decimal
    amount_remaining: Decimal
    credits_applied: Decimal
    reduced: Decimal
    credited: Decimal
    refunded: Decimal

    @property
    def overdue(self) -> bool:
        return self.effective_status == OVERDUE

    @property
    def overdue_unpaid(self) -> bool:
        return self.effective_status == OVERDUE and self.amount_remaining > 0


def figures(
    *,
    status: str,
    due_date: date | None,
    today: date,
    total: Decimal,
    credits_applied: Decimal,
    paid: Decimal,
    reduced: Decimal,
    credited: Decimal = ZERO,
    refunded: Decimal = ZERO,
) -> Figures:
    """The one place an invoice's amount due, amount remaining and overdue status are worked out."""
    due = amount_due_of(total, credits_applied)
    return Figures(
        status=status,
        effective_status=effective_status(status, due_date, today),
        amount_due=due,
        amount_paid=paid,
        amount_remaining=due - paid - reduced,
        credits_applied=credits_applied,
        reduced=reduced,
        credited=credited,
        refunded=refunded,
    )


@dataclass(frozen=True, slots=True)
class TaxRate:
    """A line's resolved rate: its tax category's id, the percent (as stored, and as text) and whether
    the price includes the tax."""

    category_id: str
    rate: Decimal
    rate_text: str
    inclusive: bool


class TaxRates:
    """One :class:`TaxRate` per distinct rate of an invoice (the loader's lookup; ``None`` untaxed)."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, bool], TaxRate] = {}

    def __call__(self, category_id: object, rate: Decimal | None, inclusive: bool | None) -> TaxRate | None:
        if category_id is None or rate is None:
            return None
        text = str(rate)
        key = (str(category_id), text, bool(inclusive))
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = TaxRate(key[0], rate, text, key[2])
        return found


@dataclass(frozen=True, slots=True)
class TaxAmount:
    """Tax at one rate (a group's: the sum of its lines' at that rate)."""

    tax: TaxRate
    amount: Decimal


def taxes_by_rate(lines: Iterable[LineRecord | WrittenLine]) -> tuple[TaxAmount, ...]:
    """The lines' tax per rate, in order of first use (untaxed lines have none)."""
    totals: dict[TaxRate, Decimal] = {}
    for line in lines:
        tax = line.tax
        if tax is not None:
            totals[tax] = totals.get(tax, ZERO) + line.tax_amount
    return tuple(TaxAmount(tax, amount) for tax, amount in totals.items())


class LineRecord(NamedTuple):
    """A line as stored and calculated: ids as text, amounts as the engine left them.

    An immutable named tuple rather than a dataclass: a 1,000-line invoice's rows go straight in (the
    stored columns first, in the loader's column order, then the invoice's id and the resolved rate),
    without a per-field ``__setattr__``."""

    id: str
    group_id: str | None
    product_id: str
    position: int
    name: str
    description: str | None
    scope: str
    start_date: date
    end_date: date
    pricing: str
    unit_code: str | None
    quantity: Decimal
    unit_price: Decimal
    price_id: str | None
    price_model: str | None
    price_config: dict[str, Any] | None
    usage_input: dict[str, Any] | None
    total_usage: Decimal | None
    usage_format: str | None
    sub_lines: list[dict[str, Any]] | None
    subtotal_amount: Decimal
    discount_amount: Decimal
    adjustment_amount: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    adjustments: list[dict[str, Any]] | None
    adjustment_shares: list[dict[str, Any]] | None
    credits_applied_amount: Decimal | None
    idempotency_key: str
    created_at: datetime
    invoice_id: str
    tax: TaxRate | None


STORED_FIELDS = 31
"""How many of :class:`LineRecord`'s fields are stored columns (the loader reads them in this order)."""


class WrittenLine(NamedTuple):
    """A line whose native API answer the database wrote as JSON text (the native read of a whole
    invoice on PostgreSQL), with what its group's tax per rate needs."""

    id: str
    group_id: str | None
    tax: TaxRate | None
    tax_amount: Decimal
    answer: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupRecord:
    """A line item group with its lines (in position order) and their tax per rate."""

    id: str
    invoice_id: str
    product_id: str | None
    tax_category_id: str | None
    position: int
    name: str
    description: str | None
    start_date: date
    end_date: date
    idempotency_key: str
    created_at: datetime
    subtotal_amount: Decimal
    discount_amount: Decimal
    adjustment_amount: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    adjustments: list[dict[str, Any]] | None
    lines: tuple[LineRecord, ...]
    taxes: tuple[TaxAmount, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditNoteRef:
    """A credit note of an issued invoice, as the invoice lists it."""

    id: str
    number: str | None
    status: str
    issue_date: date | None
    total_amount: Decimal
    reduction_amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceFields:
    """The invoice's own stored fields (no lines), ids as text."""

    id: str
    idempotency_key: str
    customer_id: str
    payment_account_id: str
    issuing_account_id: str
    contract_id: str | None
    status: str
    source: str
    auto_issue: bool
    allocation_strategy: str
    invoice_number: str | None
    series: str
    currency: Currency
    invoice_date: date
    period_start: date
    period_end: date
    issue_date: date | None
    due_date: date | None
    payment_terms_days: int | None
    void_reason: str | None
    memo: str | None
    buyer_reference: str | None
    purchase_order: str | None
    delivery_date: date | None
    delivery_country: str | None
    hosted_token: str | None
    minimum_amount: Decimal | None
    minimum_scope: str | None
    subtotal_amount: Decimal
    discount_amount: Decimal
    adjustment_amount: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    adjustments: list[dict[str, Any]] | None
    withholding_rates: list[dict[str, Any]] | None
    last_calculated_at: datetime | None
    created_at: datetime
    updated_at: datetime
    figures: Figures


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceRecord:
    """A whole invoice for the API: its fields and figures, the calculation's invoice-level results
    (``calculation``: tax summary, applied adjustments, split shares, withholdings, as the engine
    stored them), its groups, every line in position order (``lines``) and its credit notes."""

    invoice: InvoiceFields
    calculation: Mapping[str, Any]
    groups: tuple[GroupRecord, ...]
    lines: tuple[LineRecord, ...]
    credit_notes: tuple[CreditNoteRef, ...] = ()
    answers: Mapping[str | None, str | tuple[LineRecord | WrittenLine, ...]] | None = None
    """Set by the native API's read only: each group's lines (key ``None``: the standalone lines) in
    position order, either all written as JSON by the database and joined (``str``: the array's items,
    comma-separated) or one by one, most written by the database (:class:`WrittenLine`), the rest as
    records. ``lines`` and the groups' ``lines`` are then empty, the groups' ``taxes`` complete. Only the
    native renderer reads a record that has them."""

    @property
    def currency(self) -> Currency:
        return self.invoice.currency

    @property
    def figures(self) -> Figures:
        return self.invoice.figures

    @property
    def standalone(self) -> tuple[LineRecord, ...]:
        """The lines outside any group."""
        return tuple(line for line in self.lines if line.group_id is None)


Line = TypeVar("Line", LineRecord, WrittenLine, LineRecord | WrittenLine)


def group_lines(lines: Sequence[Line]) -> dict[str | None, list[Line]]:
    """Lines by group id (``None``: standalone), each list in the lines' order."""
    found: dict[str | None, list[Line]] = {}
    for line in lines:
        found.setdefault(line.group_id, []).append(line)
    return found
