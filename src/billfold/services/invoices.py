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

from billfold.core.amounts import Amounts, base_amounts
from billfold.core.money import ZERO, Currency
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.errors import Conflict, NotFound, ValidationFailed

EDITABLE_STATUSES = frozenset({"draft"})
MAX_TOTAL = 10**21  # any invoice amount beyond this is a mistake, not a bill


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


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """An invoice with everything its renderers need, loaded explicitly (no live session needed)."""

    invoice: m.Invoice
    currency: Currency
    groups: list[m.LineItemGroup]
    lines: Sequence[LineData]

    def lines_of(self, group_id: uuid.UUID | None) -> list[LineData]:
        return [line for line in self.lines if line.group_id == group_id]


def amounts_of(row: m.Invoice | m.LineItemGroup | m.LineItem | LineData) -> Amounts:
    return Amounts(
        subtotal=row.subtotal_amount,
        discount=row.discount_amount,
        adjustment=row.adjustment_amount,
        net=row.net_amount,
        tax=row.tax_amount,
        total=row.total_amount,
    )


def amount_columns(amounts: Amounts) -> dict[str, object]:
    return {
        "subtotal_amount": amounts.subtotal,
        "discount_amount": amounts.discount,
        "adjustment_amount": amounts.adjustment,
        "net_amount": amounts.net,
        "tax_amount": amounts.tax,
        "total_amount": amounts.total,
    }


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


async def create_invoice(uow: UnitOfWork, actor: Actor, new: NewInvoice) -> InvoiceView:
    customer = await _customer_for(uow, actor, new)
    invoice_currency = currency(new.currency or customer.currency)
    invoice_date = new.invoice_date or utcnow().date()
    default_start, default_end = month_of(invoice_date)
    period_start = new.period_start or default_start
    period_end = new.period_end or default_end
    if period_end < period_start:
        raise ValidationFailed.field("periodEnd", "must not be before periodStart")
    payment, issuing = await _accounts_for(uow, actor, new, customer)
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
        allocation_strategy="single",
        currency=invoice_currency.code,
        invoice_date=invoice_date,
        period_start=period_start,
        period_end=period_end,
        due_date=None,
        payment_terms_days=new.payment_terms_days,
        series=new.series,
        memo=new.memo,
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
    uow.session.add(
        m.InvoiceEvent(
            id=new_id(),
            organization_id=actor.organization_id,
            invoice_id=invoice.id,
            type="created",
            from_status=None,
            to_status="draft",
            api_key_id=actor.api_key_id,
            data={},
            created_at=now,
        )
    )
    return InvoiceView(invoice=invoice, currency=invoice_currency, groups=[], lines=[])


async def get_invoice_row(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> m.Invoice:
    invoice = await uow.repo.get(m.Invoice, actor.organization_id, invoice_id)
    if invoice is None:
        raise NotFound.resource("invoice", invoice_id)
    return invoice


async def load_invoice(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> InvoiceView:
    invoice = await get_invoice_row(uow, actor, invoice_id)
    return InvoiceView(
        invoice=invoice,
        currency=currency(invoice.currency),
        groups=await uow.repo.groups_of(invoice.id),
        lines=await uow.repo.lines_of(invoice.id),
    )


async def lock_editable_invoice(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> m.Invoice:
    """Row-lock the invoice for a change to its content; a non-draft invoice is locked (409)."""
    invoice = await uow.repo.get_for_update(m.Invoice, actor.organization_id, invoice_id)
    if invoice is None:
        raise NotFound.resource("invoice", invoice_id)
    if invoice.status not in EDITABLE_STATUSES:
        raise Conflict(
            f"invoice {invoice_id} is {invoice.status} and can no longer be changed",
            code="invoice_locked",
            details={"status": invoice.status},
        )
    return invoice


async def apply_delta(
    uow: UnitOfWork, invoice: m.Invoice, group: m.LineItemGroup | None, delta: Amounts, **extra: object
) -> None:
    """Add ``delta`` to the running sums of the invoice (and the line's group), under their row locks;
    then bring the invoice minimum's shortfall line, if there is one, up to date."""
    await _add(uow, invoice, group, delta, extra)
    if invoice.minimum_line_id is not None:
        await refresh_minimum(uow, invoice)
    await uow.session.flush()


async def _add(
    uow: UnitOfWork,
    invoice: m.Invoice,
    group: m.LineItemGroup | None,
    delta: Amounts,
    extra: dict[str, object],
) -> None:
    new_total = amounts_of(invoice) + delta
    if abs(new_total.subtotal) >= MAX_TOTAL or abs(new_total.total) >= MAX_TOTAL:
        raise ValidationFailed("the invoice total would be out of range", details={"amount": "out of range"})
    now = utcnow()
    if group is not None:
        await uow.repo.write_values(group, amount_columns(amounts_of(group) + delta))
    values = {**amount_columns(new_total), "last_calculated_at": now, "updated_at": now, **extra}
    await uow.repo.write_values(invoice, values)


async def refresh_minimum(uow: UnitOfWork, invoice: m.Invoice) -> None:
    """Set the minimum line to the shortfall: ``max(0, minimum − Σ subtotal of the other lines)``."""
    line = await uow.repo.get_for_update(m.LineItem, invoice.organization_id, invoice.minimum_line_id)  # type: ignore[arg-type]
    if line is None or invoice.minimum_amount is None:
        return
    covered = invoice.subtotal_amount - line.subtotal_amount
    shortfall = max(ZERO, invoice.minimum_amount - covered)
    money = currency(invoice.currency)
    line.sub_lines = [
        {
            "id": (line.sub_lines or [{}])[0].get("id") or str(new_id()),
            "type": "minimum_amount",
            "orbType": "other",
            "name": "Minimum amount",
            "usage": None,
            "amount": format(shortfall, f".{money.exponent}f"),
            "metadata": {
                "minimumAmount": format(invoice.minimum_amount, f".{money.exponent}f"),
                "minimumAmountApplied": format(shortfall, f".{money.exponent}f"),
            },
        }
    ]
    if shortfall == line.subtotal_amount:
        return
    delta = base_amounts(shortfall) - amounts_of(line)
    _set(line, amount_columns(base_amounts(shortfall)))
    line.unit_price = shortfall
    await _add(uow, invoice, None, delta, {})


def _set(row: m.Base, values: dict[str, object]) -> None:
    for name, value in values.items():
        setattr(row, name, value)


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
    today = utcnow().date()
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
