"""One-off invoices: creation, reading (with groups and lines) and listing."""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import or_

from billfold.core.amounts import Amounts
from billfold.core.money import ZERO, Currency
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services import totals
from billfold.services.billing_details import normalize_country
from billfold.services.calculation import calculation_json, withholding_rates_of
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.errors import Conflict, NotFound, ValidationFailed
from billfold.services.events import invoice_updated, record_event
from billfold.services.running_sums import sums_need_calculation
from billfold.services.totals import amount_columns, amounts_of

EDITABLE_STATUSES = frozenset({"draft"})
__all__ = ["amount_columns", "amounts_of"]


@dataclass(frozen=True, slots=True)
class NewInvoice:
    idempotency_key: str
    customer_id: uuid.UUID | None = None
    external_customer_id: str | None = None
    payment_account_id: uuid.UUID | None = None
    issuing_account_id: uuid.UUID | None = None
    invoice_date: date | None = None
    memo: str | None = None
    currency: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    auto_issue: bool = False
    payment_terms_days: int | None = None
    series: str = "default"
    invoice_allocation_strategy: str = "single"
    allocations: list[dict[str, Any]] | None = None
    withholding_rates: list[dict[str, Any]] | None = None
    buyer_reference: str | None = None
    purchase_order: str | None = None
    delivery_date: date | None = None
    delivery_country: str | None = None


class LineData(Protocol):
    """What renderers read of a line: an ORM row or a plain result row alike."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def invoice_id(self) -> uuid.UUID: ...
    @property
    def group_id(self) -> uuid.UUID | None: ...
    @property
    def product_id(self) -> uuid.UUID: ...
    @property
    def position(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def scope(self) -> str: ...
    @property
    def start_date(self) -> date: ...
    @property
    def end_date(self) -> date: ...
    @property
    def pricing(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def subtotal_amount(self) -> Decimal: ...
    @property
    def discount_amount(self) -> Decimal: ...
    @property
    def adjustment_amount(self) -> Decimal: ...
    @property
    def net_amount(self) -> Decimal: ...
    @property
    def tax_amount(self) -> Decimal: ...
    @property
    def total_amount(self) -> Decimal: ...
    @property
    def price_id(self) -> uuid.UUID | None: ...
    @property
    def price_model(self) -> str | None: ...
    @property
    def price_config(self) -> dict[str, Any] | None: ...
    @property
    def usage_input(self) -> dict[str, Any] | None: ...
    @property
    def total_usage(self) -> Decimal | None: ...
    @property
    def usage_format(self) -> str | None: ...
    @property
    def sub_lines(self) -> list[dict[str, Any]] | None: ...
    @property
    def tax_key_category_id(self) -> uuid.UUID | None: ...
    @property
    def tax_key_rate(self) -> Decimal | None: ...
    @property
    def tax_key_inclusive(self) -> bool | None: ...
    @property
    def adjustments(self) -> list[dict[str, Any]] | None: ...
    @property
    def adjustment_shares(self) -> list[dict[str, Any]] | None: ...
    @property
    def credits_applied_amount(self) -> Decimal | None: ...


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """An invoice with everything its renderers need, loaded explicitly (no live session needed)."""

    invoice: m.Invoice
    currency: Currency
    groups: list[m.LineItemGroup]
    lines: Sequence[LineData]
    calculation: dict[str, Any] | None = None
    today: date | None = None  # the organization's today, for the derived overdue status
    credit_notes: Sequence[m.CreditNote] = ()  # an issued invoice's credit notes (void ones too)

    def lines_of(self, group_id: uuid.UUID | None) -> list[LineData]:
        return [line for line in self.lines if line.group_id == group_id]


def month_of(day: date) -> tuple[date, date]:
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


async def _customer_for(uow: UnitOfWork, actor: Actor, new: NewInvoice) -> m.Customer:
    if (new.customer_id is None) == (new.external_customer_id is None):
        reason = "exactly one of customerId or externalCustomerId is required"
        raise ValidationFailed(reason, details={"customerId": reason, "externalCustomerId": reason})
    if new.customer_id is not None:
        customer = await uow.repo.get(m.Customer, actor.organization_id, new.customer_id)
        field = "customerId"
    else:
        customer = await uow.repo.customer_by_external_id(
            actor.organization_id, new.external_customer_id or ""
        )
        field = "externalCustomerId"
    if customer is None:
        raise NotFound("customer not found", details={field: "no such customer"})
    return customer


async def _accounts_for(
    uow: UnitOfWork, actor: Actor, new: NewInvoice, customer: m.Customer
) -> tuple[m.PaymentAccount, m.IssuingAccount]:
    org = actor.organization_id
    if new.payment_account_id is not None:
        payment = await uow.repo.get(m.PaymentAccount, org, new.payment_account_id)
        if payment is None or payment.customer_id != customer.id:
            raise NotFound(
                "payment account not found",
                details={"paymentAccountId": "no such payment account for this customer"},
            )
    else:
        payment = await uow.repo.default_payment_account(org, customer.id)
    if new.issuing_account_id is not None:
        issuing = await uow.repo.get(m.IssuingAccount, org, new.issuing_account_id)
        if issuing is None:
            raise NotFound(
                "issuing account not found", details={"issuingAccountId": "no such issuing account"}
            )
    else:
        issuing = await uow.repo.default_issuing_account(org)
    if payment is None or issuing is None:
        raise Conflict("the customer or organization has no default account", code="missing_default_account")
    return payment, issuing


async def _allocations(
    uow: UnitOfWork, actor: Actor, new: NewInvoice, customer: m.Customer
) -> list[dict[str, Any]] | None:
    """A percent split's shares: the customer's payment accounts, percentages summing to 100."""
    if new.invoice_allocation_strategy != "percent_split":
        if new.allocations:
            raise ValidationFailed.field("allocations", "only a percent_split invoice takes allocations")
        return None
    if not new.allocations:
        raise ValidationFailed.field("allocations", "a percent_split invoice needs allocations")
    seen = set()
    for index, item in enumerate(new.allocations):
        account = await uow.repo.get(m.PaymentAccount, actor.organization_id, item["payment_account_id"])
        if account is None or account.customer_id != customer.id:
            raise NotFound(
                "payment account not found",
                details={
                    f"allocations[{index}].paymentAccountId": "no such payment account for this customer"
                },
            )
        if account.id in seen:
            raise ValidationFailed.field(f"allocations[{index}].paymentAccountId", "appears twice")
        seen.add(account.id)
        if item["percentage"] <= 0:
            raise ValidationFailed.field(f"allocations[{index}].percentage", "must be greater than zero")
    if sum(item["percentage"] for item in new.allocations) != 100:
        raise ValidationFailed.field("allocations", "the percentages must sum to 100")
    return [
        {"payment_account_id": str(item["payment_account_id"]), "percentage": str(item["percentage"])}
        for item in new.allocations
    ]


async def create_invoice(uow: UnitOfWork, actor: Actor, new: NewInvoice) -> InvoiceView:
    delivery_country = delivery_country_of(new.delivery_country)
    customer = await _customer_for(uow, actor, new)
    invoice_currency = currency(new.currency or customer.currency)
    invoice_date = new.invoice_date or actor.today()
    default_start, default_end = month_of(invoice_date)
    period_start = new.period_start or default_start
    period_end = new.period_end or default_end
    if period_end < period_start:
        raise ValidationFailed.field("periodEnd", "must not be before periodStart")
    payment, issuing = await _accounts_for(uow, actor, new, customer)
    allocations = await _allocations(uow, actor, new, customer)
    withholding = [
        {"name": w["name"], "rate": str(w["rate"]), "rounding": w.get("rounding", "half_up")}
        for w in new.withholding_rates or []
    ] or None
    withholding_rates_of(withholding, invoice_currency.exponent)
    now = utcnow()
    invoice = m.Invoice(
        id=new_id(),
        organization_id=actor.organization_id,
        customer_id=customer.id,
        payment_account_id=payment.id,
        issuing_account_id=issuing.id,
        contract_id=None,
        idempotency_key=new.idempotency_key,
        status="draft",
        source="one_off",
        auto_issue=new.auto_issue,
        allocation_strategy=new.invoice_allocation_strategy,
        allocations=allocations,
        withholding_rates=withholding,
        adjustments=None,
        running_sums=None,
        frozen=False,
        recalculate_all=False,
        currency=invoice_currency.code,
        invoice_date=invoice_date,
        period_start=period_start,
        period_end=period_end,
        due_date=None,
        payment_terms_days=new.payment_terms_days,
        series=new.series,
        memo=new.memo,
        buyer_reference=new.buyer_reference,
        purchase_order=new.purchase_order,
        delivery_date=new.delivery_date,
        delivery_country=delivery_country,
        invoice_number=None,
        credits_applied_amount=ZERO,
        amount_paid=ZERO,
        next_group_index=0,
        next_line_index=0,
        last_calculated_at=now,
        created_at=now,
        updated_at=now,
        **amount_columns(Amounts()),
    )
    await uow.repo.add(invoice)
    await record_event(uow, actor, invoice, "invoice.created", None, "draft", at=now)
    return InvoiceView(invoice, invoice_currency, [], [], {}, actor.today())


def delivery_country_of(value: str | None) -> str | None:
    """The deliver-to country (BT-80) as ISO 3166-1 alpha-2, or a 400 naming ``deliveryCountry``."""
    try:
        return normalize_country(value)
    except ValidationFailed as error:
        raise ValidationFailed.field("deliveryCountry", error.details["country"]) from error


async def get_invoice_row(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> m.Invoice:
    invoice = await uow.repo.get(m.Invoice, actor.organization_id, invoice_id)
    if invoice is None:
        raise NotFound.resource("invoice", invoice_id)
    return invoice


async def load_invoice(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> InvoiceView:
    """The invoice with its groups and lines; a draft's figures calculated afresh (an issued invoice's
    were frozen at issue and are read as stored)."""
    invoice = await get_invoice_row(uow, actor, invoice_id)
    groups = await uow.repo.groups_of_invoice(invoice.organization_id, invoice)
    rows = await uow.repo.lines_of(invoice.organization_id, invoice.id)
    money = currency(invoice.currency)
    if invoice.frozen:
        notes = await uow.repo.credit_notes_of(invoice.organization_id, invoice.id)
        return InvoiceView(invoice, money, groups, rows, invoice.calculation, actor.today(), notes)
    if not (sums_need_calculation(invoice.running_sums) or invoice.recalculate_all or invoice.allocations):
        # No taxed line, no covering adjustment, no split: every stored figure is already final (a
        # line's own figures are all there is), so the calculation would only repeat them.
        return InvoiceView(invoice, money, groups, rows, {}, actor.today())
    setting = await totals.setting_for(uow, actor, invoice)
    result, lines = totals.calculated(setting, invoice, groups, rows)
    return InvoiceView(invoice, money, groups, lines, calculation_json(result), actor.today())


async def just_issued_view(
    uow: UnitOfWork, actor: Actor, invoice: m.Invoice, lines: list[Any] | None = None
) -> InvoiceView:
    """:func:`load_invoice` of the invoice this transaction has just issued (the row in memory, its
    figures frozen and flushed): its groups and lines are read (``lines``: already read, as
    ``lines_of`` reads them, and unchanged since); it has no credit notes yet (a note needs an issued
    invoice, and an invoice is issued once)."""
    if not invoice.frozen:
        raise RuntimeError("just_issued_view takes an invoice frozen by this transaction's issue")
    groups = await uow.repo.groups_of_invoice(invoice.organization_id, invoice)
    rows = lines if lines is not None else await uow.repo.lines_of(invoice.organization_id, invoice.id)
    return InvoiceView(
        invoice, currency(invoice.currency), groups, rows, invoice.calculation, actor.today(), ()
    )


async def lock_editable_invoice(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> m.Invoice:
    """Row-lock the invoice for a change to its content; a non-draft invoice is locked (409)."""
    return await editable(
        uow, actor, invoice_id, await uow.repo.get_for_update(m.Invoice, actor.organization_id, invoice_id)
    )


async def editable(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, invoice: m.Invoice | None
) -> m.Invoice:
    """``invoice`` (just row-locked) as :func:`lock_editable_invoice` answers it: 404 when there is
    none, 409 when it is not a draft; its ``invoice.updated`` event recorded or refreshed at commit
    (see :func:`billfold.services.events.invoice_updated`)."""
    if invoice is None:
        raise NotFound.resource("invoice", invoice_id)
    if invoice.status not in EDITABLE_STATUSES:
        raise Conflict(
            f"invoice {invoice_id} is {invoice.status} and can no longer be changed",
            code="invoice_locked",
            details={"status": invoice.status},
        )
    await invoice_updated(uow, actor, invoice)
    return invoice


async def list_invoices(
    uow: UnitOfWork,
    actor: Actor,
    *,
    limit: int,
    after: uuid.UUID | None,
    customer_id: uuid.UUID | None,
    status: str | None,
) -> tuple[list[m.Invoice], bool]:
    filters: list[Any] = []
    if customer_id is not None:
        filters.append(m.Invoice.customer_id == customer_id)
    today = actor.today()
    if status == "overdue":  # derived: issued and past due
        filters += [m.Invoice.status == "issued", m.Invoice.due_date < today]
    elif status == "issued":
        filters += [
            m.Invoice.status == "issued",
            or_(m.Invoice.due_date.is_(None), m.Invoice.due_date >= today),
        ]
    elif status is not None:
        filters.append(m.Invoice.status == status)
    return await uow.repo.page(m.Invoice, actor.organization_id, limit=limit, after=after, filters=filters)
