"""An invoice created with its groups and lines in one request (``POST /v1/invoices``).

Each group and line is validated and priced by the same code as one created alone
(:func:`~billfold.services.groups.group_values`, :func:`~billfold.services.line_items.line_row`), so
the rules cannot drift apart; a failure names the item (``lineItems[417].unitPrice``) and, the whole
create being one transaction, writes nothing. What differs is the cost: the products and tax
categories the groups and lines name are looked up once per distinct one (not once per group or
line), the groups and the lines go in with one multi-row insert each, and the running sums and totals
are worked out once for all the lines instead of once per line.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Any

from billfold.core.amounts import Amounts
from billfold.core.money import Currency
from billfold.core.running import Cell, NotSummable
from billfold.core.taxes import TaxKey
from billfold.db import driver
from billfold.db import models as m
from billfold.db.ids import new_ids, utcnow
from billfold.db.uow import UnitOfWork
from billfold.documents.records import STORED_FIELDS, InvoiceRecord, LineRecord, TaxRates
from billfold.services import invoices, totals
from billfold.services.bulk_rows import (
    LINE_COLUMNS,
    Known,
    PlainLines,
    StoredLine,
    Sums,
    is_plain,
    row_of,
)
from billfold.services.calculation import GROSS_UP_SCOPE, Setting, calculation_json
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.errors import DomainError, ValidationFailed, named, rename
from billfold.services.groups import NewGroup, group_values
from billfold.services.invoice_records import load_invoice_record, record_of
from billfold.services.line_items import Lookups, NewLine, line_row, prepare
from billfold.services.running_sums import sums_json, sums_need_calculation, totals_from_cells

MAX_BULK_LINES = 10_000
"""The lines of one bulk create, in its groups and standalone (more: a 400 naming ``lineItems``, or
``lineItemGroups`` when only groups are sent)."""

MAX_BULK_GROUPS = 1_000
"""The groups of one bulk create (more: a 400 naming ``lineItemGroups``, checked with the lines' count
before the transaction opens). The lines' limit alone let 10,000 empty groups through, which held the
write transaction for seconds. A group is a titled section of the invoice: 1,000 of them is one for every
ten lines of the largest create, far more sections than an invoice is read or printed with, and it is
the limit the API holds its other lists of an item's parts to (a price's tiers, a line's seat intervals:
docs/api.md). A group also costs more than a plain line to make and answer (its own row, read back with
its tax breakdown: ~0.15-0.2 ms of CPU against ~0.05-0.15 ms), so it is held lower than the lines."""

KeepAnswers = Callable[[Sequence[LineRecord], Currency], list[str]]
"""Renders lines' native answers as ``line_items.answer`` keeps them (the API's, given by the router)."""


@dataclass(frozen=True, slots=True)
class NewBulkGroup:
    group: NewGroup
    lines: Sequence[NewLine] = ()


def line_count(groups: Sequence[NewBulkGroup], lines: Sequence[NewLine]) -> int:
    return len(lines) + sum(len(group.lines) for group in groups)


def prepare_all(
    groups: Sequence[NewBulkGroup], lines: Sequence[NewLine]
) -> tuple[list[NewBulkGroup], list[NewLine]]:
    """Every line :func:`~billfold.services.line_items.prepare`\\ d (the work that needs nothing stored,
    done before the transaction opens), after the counts of lines (:data:`MAX_BULK_LINES`) and groups
    (:data:`MAX_BULK_GROUPS`) are checked. A line without usage or an inline price has nothing to
    prepare."""
    if line_count(groups, lines) > MAX_BULK_LINES:
        field = "lineItems" if lines else "lineItemGroups"
        raise ValidationFailed.field(field, f"at most {MAX_BULK_LINES} lines in all in one request")
    if len(groups) > MAX_BULK_GROUPS:
        raise ValidationFailed.field("lineItemGroups", f"at most {MAX_BULK_GROUPS} groups in one request")
    prepared_groups = [
        replace(bulk, lines=_prepared(bulk.lines, f"lineItemGroups[{g}].lineItems"))
        for g, bulk in enumerate(groups)
    ]
    return prepared_groups, _prepared(lines, "lineItems")


def _prepared(lines: Sequence[NewLine], field: str) -> list[NewLine]:
    done = list(lines)
    for i, line in enumerate(done):
        if line.usage is not None or line.price is not None:
            with named(f"{field}[{i}]"):
                done[i] = prepare(line)
    return done


async def create_invoice_with_lines(
    uow: UnitOfWork,
    actor: Actor,
    new: invoices.NewInvoice,
    groups: Sequence[NewBulkGroup] = (),
    lines: Sequence[NewLine] = (),
    keep: KeepAnswers | None = None,
) -> InvoiceRecord:
    """The invoice, then its groups (in order, each with its lines), then the standalone lines: the
    same positions, figures and totals as creating them one request at a time in that order. Answers
    the invoice's record as ``GET`` reads it for the native API.

    ``keep`` (where the database keeps lines' answers, PostgreSQL): the plain lines' answers are
    rendered by it and inserted with the lines, so the database's trigger does not write them (it
    cost the backends a fifth of a 1,000-line create) and the answer is not read back."""
    view = await invoices.create_invoice(uow, actor, new)
    if not groups and not lines:
        return record_of(view)
    invoice = view.invoice
    setting = await totals.setting_for(uow, actor, invoice)
    lookups = Lookups()
    every_line = [*(line for bulk in groups for line in bulk.lines), *lines]
    names = {line.name for line in every_line if line.product_id is None and line.name}
    names.update(bulk.group.name for bulk in groups if bulk.group.product_id is None and bulk.group.name)
    await lookups.prime(uow, actor, names)
    known = Known()
    await known.look_up(uow, actor, lookups, every_line)
    made = _Made(uow, actor, invoice, setting, lookups, PlainLines(actor, invoice, setting, known, utcnow()))
    group_rows: list[dict[str, Any]] = []  # every column of each group
    for g, bulk in enumerate(groups):
        with named(f"lineItemGroups[{g}]"):
            new_group = replace(bulk.group, idempotency_key=_key())
            values = await group_values(uow, actor, invoice, new_group, g, lookups)
        if bulk.lines:  # (a group without lines keeps its zero amounts)
            # what its lines read of it (id, dates, tax category), without the ORM's event per attribute
            group = driver.transient(m.LineItemGroup, values)
            await made.add(f"lineItemGroups[{g}].lineItems", group, bulk.lines)
            values.update(totals.amount_columns(made.sums.take_group()))
        group_rows.append(values)
    await made.add("lineItems", None, lines)
    rows = made.rows
    answers = None
    if keep is not None and uow.repo.writes_json:
        answers = _kept_answers(keep, invoice, rows, made.plain, setting.currency)
    group_columns = [_GROUP_ROW(values) for values in group_rows]
    await uow.repo.insert_groups(actor.organization_id, invoice.id, _GROUP_COLUMNS, group_columns)
    await uow.repo.insert_lines(actor.organization_id, invoice.id, LINE_COLUMNS, rows, answers)
    counters = {"next_group_index": len(group_rows), "next_line_index": len(rows)}
    cells = None if made.gross_up else made.sums.cell_list()
    try:
        stored = await _store_totals(uow, actor, invoice, setting, counters, cells)
    except totals.TotalOutOfRange:
        field = "lineItems" if lines else "lineItemGroups"
        raise ValidationFailed.field(
            field, "together the lines put the invoice's total out of range (below 10^21)"
        ) from None
    if not stored:
        # the lines' figures were rewritten
        return record_of(await invoices.load_invoice(uow, actor, invoice.id))
    return await _answer(uow, actor, invoice, setting, rows, answers)


_GROUP_COLUMNS = tuple(  # but the organization and invoice, the same for every group of a create
    column.key
    for column in m.LineItemGroup.__table__.columns
    if column.key not in ("organization_id", "invoice_id")
)
_GROUP_ROW = itemgetter(*_GROUP_COLUMNS)  # a group's values (by column) as insert_groups takes them

_STORED = itemgetter(*(LINE_COLUMNS.index(name) for name in LineRecord._fields[:STORED_FIELDS]))
_RATE = itemgetter(
    *(LINE_COLUMNS.index(name) for name in ("tax_key_category_id", "tax_key_rate", "tax_key_inclusive"))
)
_IDS = tuple(LineRecord._fields.index(name) for name in ("id", "group_id", "product_id", "price_id"))
assert _IDS == (0, 1, 2, 13)  # the fields _kept_answers writes as text


class _IdTexts(dict[object, str | None]):
    """An id's text (``None`` stays ``None``), once per distinct id."""

    def __call__(self, value: object) -> str | None:
        if value in self:
            return self[value]
        text = self[value] = None if value is None else str(value)
        return text


def _kept_answers(
    keep: KeepAnswers,
    invoice: m.Invoice,
    rows: Sequence[tuple[Any, ...]],
    plain: Sequence[bool],
    money: Currency,
) -> list[str | None]:
    """Each plain line's answer as ``line_items.answer`` keeps it; ``None`` for the others (the trigger
    writes those it can). A plain line meets the trigger's conditions: its currency's places are set,
    and it has no price model, usage, sub-lines or adjustments."""
    taxes, invoice_id, ids = TaxRates(), str(invoice.id), _IdTexts()
    make, stored = LineRecord._make, _STORED
    records: list[LineRecord] = []
    for row, is_plain_line in zip(rows, plain, strict=True):
        if is_plain_line:
            values = stored(row)  # the record's stored fields, as line_record reads them from a row
            records.append(
                make(
                    (
                        str(values[0]),
                        ids(values[1]),
                        ids(values[2]),
                        *values[3:13],
                        ids(values[13]),
                        *values[14:],
                        invoice_id,
                        taxes(*_RATE(row)),
                    )
                )
            )
    rendered = iter(keep(records, money))
    return [next(rendered) if is_plain_line else None for is_plain_line in plain]


async def _answer(
    uow: UnitOfWork,
    actor: Actor,
    invoice: m.Invoice,
    setting: Setting,
    rows: Sequence[tuple[Any, ...]],
    answers: Sequence[str | None] | None,
) -> InvoiceRecord:
    """The invoice as ``GET`` reads it. Where the database writes the lines' answers (PostgreSQL) and
    the stored figures are final, read as ``GET`` reads it (with the answers just inserted, when every
    line brought one); otherwise its lines as they were just inserted, not read back (reading 1,000
    rows back into Python costs more than the insert)."""
    invoice = await invoices.get_invoice_row(uow, actor, invoice.id)
    final = not (
        sums_need_calculation(invoice.running_sums) or invoice.recalculate_all or invoice.allocations
    )
    if final and uow.repo.writes_json:
        kept = None
        if answers is not None and None not in answers:
            kept = [(row[1], answer) for row, answer in zip(rows, answers, strict=True)]
        return await load_invoice_record(uow, actor, invoice.id, native=True, kept=kept)
    groups = await uow.repo.groups_of_invoice(invoice.organization_id, invoice)
    lines = [StoredLine(invoice.organization_id, invoice.id, *row) for row in rows]
    money = currency(invoice.currency)
    if final:
        return record_of(invoices.InvoiceView(invoice, money, groups, lines, {}, actor.today()))
    result, views = totals.calculated(setting, invoice, groups, lines)
    calculation = calculation_json(result)
    return record_of(invoices.InvoiceView(invoice, money, groups, views, calculation, actor.today()))


async def _store_totals(
    uow: UnitOfWork,
    actor: Actor,
    invoice: m.Invoice,
    setting: Setting,
    counters: dict[str, int],
    cells: list[Cell] | None,
) -> bool:
    """The invoice's running sums and totals, worked out once from the new lines' cells (no adjustment
    covers a line of a new invoice); a gross-up line (``cells`` None) or sums that cannot decide take
    the full path, which rewrites the lines' figures (then ``False``)."""
    try:
        if cells is None:
            raise NotSummable
        amounts = totals_from_cells(setting, cells, [])
    except NotSummable:
        await uow.repo.write_values(invoice, counters)
        await totals.recalculate(uow, actor, invoice, setting)
        return False
    totals.check_range(amounts)
    now = utcnow()
    values = {
        **counters,
        **totals.amount_columns(amounts),
        "running_sums": sums_json(cells),
        "last_calculated_at": now,
        "updated_at": now,
    }
    await uow.repo.write_values(invoice, values)
    return True


class _Made:
    """The rows of a request's new lines, made in order, and their running sums."""

    def __init__(
        self,
        uow: UnitOfWork,
        actor: Actor,
        invoice: m.Invoice,
        setting: Setting,
        lookups: Lookups,
        plain: PlainLines,
    ) -> None:
        self.uow, self.actor, self.invoice, self.setting = uow, actor, invoice, setting
        self.lookups = lookups
        self.lines = plain
        self.keys = _Keys()
        self.rows: list[tuple[Any, ...]] = []
        self.plain: list[bool] = []  # per row: made as a plain line
        self.sums = Sums()
        self.gross_up = False

    async def add(self, field: str, group: m.LineItemGroup | None, lines: Sequence[NewLine]) -> None:
        """``lines`` (listed as ``field``) of ``group``; a failing line is named ``field[i]``."""
        rows, sums, plain, keys, made_plain = self.rows, self.sums, self.lines, self.keys, self.plain
        ids = iter(new_ids(len(lines)))
        for i, line in enumerate(lines):
            position = len(rows)
            simple = is_plain(line)
            try:
                if simple:
                    row, key, amounts = plain.row(line, group, position, next(ids), keys.text(position))
                else:
                    row, key, amounts = await self._line(line, group, position)
            except DomainError as error:
                rename(error, f"{field}[{i}]")
                raise
            rows.append(row)
            made_plain.append(simple)
            sums.add(key, amounts, grouped=group is not None)

    async def _line(
        self, line: NewLine, group: m.LineItemGroup | None, position: int
    ) -> tuple[tuple[Any, ...], TaxKey | None, Amounts]:
        """Any other line, made by :func:`~billfold.services.line_items.line_row`."""
        keyed = replace(line, idempotency_key=self.keys.text(position))
        values, state = await line_row(
            self.uow, self.actor, self.invoice, group, keyed, self.setting, position, self.lookups
        )
        self.gross_up = self.gross_up or values["scope"] == GROSS_UP_SCOPE
        return row_of(values), state.tax_key, state.amounts


def _key() -> str:
    return uuid.uuid4().hex


class _Keys:
    """The idempotency keys of a request's new lines: 32 hex digits, random per request, then the
    line's position (unique in the invoice, as the column's constraint wants)."""

    def __init__(self) -> None:
        self.prefix = uuid.uuid4().hex[:24]

    def text(self, position: int) -> str:
        return f"{self.prefix}{position:08x}"
