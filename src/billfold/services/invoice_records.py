"""The loader of an invoice's API records (:mod:`billfold.documents.records`): what ``GET
/v1/invoices/{id}`` and every vendor dialect's invoice answer render from.

The figures every answer shows (status as read, with ``overdue`` on the organization's today; amount
due, paid and remaining) are worked out here, once, by :func:`billfold.documents.records.figures`; a
line's resolved rate is one shared :class:`~billfold.documents.records.TaxRate` and a group's tax per
rate is summed here. Renderers only format.

:func:`load_invoice_record` reads an invoice whose stored figures are final (issued, or a draft with
nothing to recalculate) in one statement per table, lines straight into records (no ORM objects);
a draft that needs its calculation goes through the same calculation as
:func:`billfold.services.invoices.load_invoice`. :func:`record_of` turns an already loaded
:class:`~billfold.services.invoices.InvoiceView` into the same record.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from billfold.core.money import Currency
from billfold.db import models as m
from billfold.db.invoice_reads import joined_answers
from billfold.db.uow import UnitOfWork
from billfold.documents.records import (
    STORED_FIELDS,
    CreditNoteRef,
    Figures,
    GroupRecord,
    InvoiceFields,
    InvoiceRecord,
    LineRecord,
    TaxAmount,
    TaxRates,
    WrittenLine,
    figures,
    group_lines,
    taxes_by_rate,
)
from billfold.services import totals
from billfold.services.calculation import calculation_json
from billfold.services.context import Actor
from billfold.services.currencies import currency as currency_of
from billfold.services.invoices import InvoiceView, LineData, get_invoice_row
from billfold.services.running_sums import sums_need_calculation


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def utc_today() -> date:
    return datetime.now(UTC).date()


def invoice_fields(row: m.Invoice, money: Currency, today: date | None = None) -> InvoiceFields:
    """The invoice's own fields and its :class:`~billfold.documents.records.Figures` (``today``: the
    organization's; UTC's when not given)."""
    return InvoiceFields(
        id=str(row.id),
        idempotency_key=row.idempotency_key,
        customer_id=str(row.customer_id),
        payment_account_id=str(row.payment_account_id),
        issuing_account_id=str(row.issuing_account_id),
        contract_id=_text(row.contract_id),
        status=row.status,
        source=row.source,
        auto_issue=row.auto_issue,
        allocation_strategy=row.allocation_strategy,
        invoice_number=row.invoice_number,
        series=row.series,
        currency=money,
        invoice_date=row.invoice_date,
        period_start=row.period_start,
        period_end=row.period_end,
        issue_date=row.issue_date,
        due_date=row.due_date,
        payment_terms_days=row.payment_terms_days,
        void_reason=row.void_reason,
        memo=row.memo,
        buyer_reference=row.buyer_reference,
        purchase_order=row.purchase_order,
        delivery_date=row.delivery_date,
        delivery_country=row.delivery_country,
        hosted_token=row.hosted_token,
        minimum_amount=row.minimum_amount,
        minimum_scope=row.minimum_scope,
        subtotal_amount=row.subtotal_amount,
        discount_amount=row.discount_amount,
        adjustment_amount=row.adjustment_amount,
        net_amount=row.net_amount,
        tax_amount=row.tax_amount,
        total_amount=row.total_amount,
        adjustments=row.adjustments,
        withholding_rates=row.withholding_rates,
        last_calculated_at=row.last_calculated_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        figures=figures_of(row, today),
    )


def figures_of(row: m.Invoice, today: date | None = None) -> Figures:
    """The invoice's derived figures (``today``: the organization's; UTC's when not given)."""
    return figures(
        status=row.status,
        due_date=row.due_date,
        today=today or utc_today(),
        total=row.total_amount,
        credits_applied=row.credits_applied_amount,
        paid=row.amount_paid,
        reduced=row.reduced_amount,
        credited=row.credited_amount,
        refunded=row.refunded_amount,
    )


def line_record(row: LineData, taxes: TaxRates | None = None) -> LineRecord:
    """A loaded line (ORM object or plain row) as a record; ``taxes`` shares rates across an invoice."""
    rates = taxes or TaxRates()
    return LineRecord(
        str(row.id),
        _text(row.group_id),
        str(row.product_id),
        row.position,
        row.name,
        row.description,
        row.scope,
        row.start_date,
        row.end_date,
        row.pricing,
        getattr(row, "unit_code", None),
        row.quantity,
        row.unit_price,
        _text(row.price_id),
        row.price_model,
        row.price_config,
        row.usage_input,
        row.total_usage,
        row.usage_format,
        row.sub_lines,
        row.subtotal_amount,
        row.discount_amount,
        row.adjustment_amount,
        row.net_amount,
        row.tax_amount,
        row.total_amount,
        row.adjustments,
        row.adjustment_shares,
        row.credits_applied_amount,
        row.idempotency_key,
        row.created_at,
        str(row.invoice_id),
        rates(row.tax_key_category_id, row.tax_key_rate, row.tax_key_inclusive),
    )


def group_record(
    row: m.LineItemGroup,
    lines: Sequence[LineRecord],
    taxed: Sequence[LineRecord | WrittenLine] | None = None,
    taxes: tuple[TaxAmount, ...] | None = None,
) -> GroupRecord:
    """A group with its lines and their tax per rate (``taxes``, or of ``taxed`` when given, else of
    ``lines``)."""
    return GroupRecord(
        id=str(row.id),
        invoice_id=str(row.invoice_id),
        product_id=_text(row.product_id),
        tax_category_id=_text(row.tax_category_id),
        position=row.position,
        name=row.name,
        description=row.description,
        start_date=row.start_date,
        end_date=row.end_date,
        idempotency_key=row.idempotency_key,
        created_at=row.created_at,
        subtotal_amount=row.subtotal_amount,
        discount_amount=row.discount_amount,
        adjustment_amount=row.adjustment_amount,
        net_amount=row.net_amount,
        tax_amount=row.tax_amount,
        total_amount=row.total_amount,
        adjustments=row.adjustments,
        lines=tuple(lines),
        taxes=taxes if taxes is not None else taxes_by_rate(lines if taxed is None else taxed),
    )


def _credit_note(note: m.CreditNote) -> CreditNoteRef:
    return CreditNoteRef(
        id=str(note.id),
        number=note.number,
        status=note.status,
        issue_date=note.issue_date,
        total_amount=note.total_amount,
        reduction_amount=note.reduction_amount,
    )


def assemble(
    invoice: InvoiceFields,
    calculation: dict[str, Any] | None,
    groups: Sequence[m.LineItemGroup],
    lines: Sequence[LineRecord],
    credit_notes: Sequence[m.CreditNote] = (),
    answers: Mapping[str | None, str | tuple[LineRecord | WrittenLine, ...]] | None = None,
    group_taxes: Mapping[str, tuple[TaxAmount, ...]] | None = None,
) -> InvoiceRecord:
    """The record; with ``answers`` (the native read's), the groups carry their taxes (``group_taxes``,
    or worked out from ``answers``' lines) but no lines."""
    if answers is None:
        by_group = group_lines(lines)
        grouped = tuple(group_record(row, by_group.get(str(row.id), ())) for row in groups)
    elif group_taxes is not None:
        grouped = tuple(group_record(row, (), taxes=group_taxes.get(str(row.id), ())) for row in groups)
    else:
        grouped = tuple(group_record(row, (), _taxed(answers.get(str(row.id), ()))) for row in groups)
    return InvoiceRecord(
        invoice=invoice,
        calculation=calculation or {},
        groups=grouped,
        lines=tuple(lines),
        credit_notes=tuple(_credit_note(note) for note in credit_notes),
        answers=answers,
    )


def _taxed(items: str | tuple[LineRecord | WrittenLine, ...]) -> tuple[LineRecord | WrittenLine, ...]:
    if isinstance(items, str):
        raise ValueError("joined answers need their group's taxes given")
    return items


def record_of(view: InvoiceView) -> InvoiceRecord:
    """An already loaded invoice as its record (the same record :func:`load_invoice_record` reads)."""
    taxes = TaxRates()
    fields = invoice_fields(view.invoice, view.currency, view.today)
    lines = [line_record(row, taxes) for row in view.lines]
    return assemble(fields, view.calculation, view.groups, lines, view.credit_notes)


async def load_invoice_record(
    uow: UnitOfWork,
    actor: Actor,
    invoice_id: uuid.UUID,
    *,
    native: bool = False,
    kept: Sequence[tuple[object, str | None]] | None = None,
) -> InvoiceRecord:
    """The invoice as :func:`billfold.services.invoices.load_invoice` reads it (404 for another
    organization's id), as a record: stored figures read in one statement per table.

    ``native``: for the native API's answer only. Where the database keeps the lines' answers
    (PostgreSQL), the record's ``answers`` hold each group's: the database's, joined, when it keeps
    every line's, else one by one (:class:`WrittenLine`, and records of the lines Python writes).
    ``kept``: each line's ``(group id, answer as the database keeps it)`` in position order, when the
    caller has just written them (a bulk create), instead of reading them back."""
    invoice = await get_invoice_row(uow, actor, invoice_id)
    org, money, today = invoice.organization_id, currency_of(invoice.currency), actor.today()
    groups = await uow.repo.groups_of_invoice(invoice.organization_id, invoice)
    if not invoice.frozen and (
        sums_need_calculation(invoice.running_sums) or invoice.recalculate_all or invoice.allocations
    ):
        rows = await uow.repo.lines_of(org, invoice.id)
        setting = await totals.setting_for(uow, actor, invoice)
        result, calculated = totals.calculated(setting, invoice, groups, rows)
        view = InvoiceView(invoice, money, groups, calculated, calculation_json(result), today)
        return record_of(view)
    taxes = TaxRates()
    fields = invoice_fields(invoice, money, today)
    notes = await uow.repo.credit_notes_of(org, invoice.id) if invoice.frozen else ()
    calculation = invoice.calculation if invoice.frozen else {}
    if native and uow.repo.writes_json:
        place = (fields.customer_id, money.code, money.exponent)
        if kept is not None:
            joined = joined_answers(kept, fields.customer_id, money.code)
        else:
            joined = await uow.repo.joined_line_answers(org, invoice.id, *place)
        if joined is not None:
            group_taxes = await _group_taxes(uow, org, invoice.id, taxes) if groups else {}
            return assemble(fields, calculation, groups, (), notes, dict(joined), group_taxes)
        written = await uow.repo.line_answers(org, invoice.id, *place)
        if written is not None:
            by_group = group_lines(await _answers(uow, org, invoice.id, written, taxes))
            answers = {group: tuple(items) for group, items in by_group.items()}
            return assemble(fields, calculation, groups, (), notes, answers)
    invoice_id_text = str(invoice.id)
    make = LineRecord._make
    lines = [
        make((*row[:STORED_FIELDS], invoice_id_text, taxes(row[31], row[32], row[33])))
        for row in await uow.repo.line_rows(org, invoice.id)
    ]
    return assemble(fields, calculation, groups, lines, notes)


async def _group_taxes(
    uow: UnitOfWork, org: uuid.UUID, invoice_id: uuid.UUID, taxes: TaxRates
) -> dict[str, tuple[TaxAmount, ...]]:
    """Each group's tax per rate, in order of first use, as the database summed it."""
    found: dict[str, list[TaxAmount]] = {}
    for group_id, category, rate, inclusive, amount in await uow.repo.group_taxes(org, invoice_id):
        tax = taxes(category, Decimal(rate), inclusive)
        if tax is not None:
            found.setdefault(group_id, []).append(TaxAmount(tax, Decimal(amount)))
    return {group_id: tuple(items) for group_id, items in found.items()}


async def _answers(
    uow: UnitOfWork, org: uuid.UUID, invoice_id: uuid.UUID, written: Sequence[Any], taxes: TaxRates
) -> list[LineRecord | WrittenLine]:
    """The lines as the database wrote their answers; those it left to Python (a price model, usage,
    sub-lines, adjustments) read whole, in their places."""
    parsed: dict[str, Decimal] = {}

    def number(text: str) -> Decimal:
        found = parsed.get(text)
        if found is None:
            found = parsed[text] = Decimal(text)
        return found

    answers: list[LineRecord | WrittenLine] = [
        WrittenLine(row[0], row[1], taxes(row[2], row[3] and number(row[3]), row[4]), number(row[5]), row[6])
        for row in written
    ]
    missing = {row[0]: index for index, row in enumerate(written) if row[6] is None}
    if missing:
        invoice_id_text = str(invoice_id)
        for row in await uow.repo.line_rows(org, invoice_id, list(missing)):
            record = LineRecord._make(
                (*row[:STORED_FIELDS], invoice_id_text, taxes(row[31], row[32], row[33]))
            )
            answers[missing[record.id]] = record
    return answers
