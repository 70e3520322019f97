"""An invoice created with its groups and lines in one request (``POST /v1/invoices``).

Each group and line is validated and priced by the same code as one created alone
(:func:`~billfold.services.groups.group_row`, :func:`~billfold.services.line_items.line_row`), so the
rules cannot drift apart; a failure names the item (``lineItems[417].unitPrice``) and, the whole
create being one transaction, writes nothing. What differs is the cost: the groups and the lines go in
with one multi-row insert each, and the running sums and totals are worked out once for all the lines
instead of once per line.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from billfold.core.amounts import Amounts
from billfold.core.running import Cell, NotSummable
from billfold.core.taxes import TaxKey
from billfold.db import models as m
from billfold.db.ids import new_ids, utcnow
from billfold.db.uow import UnitOfWork
from billfold.documents.records import InvoiceRecord
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
from billfold.services.errors import DomainError, ValidationFailed
from billfold.services.groups import NewGroup, group_row
from billfold.services.invoice_records import load_invoice_record, record_of
from billfold.services.line_items import Lookups, NewLine, line_row, prepare
from billfold.services.running_sums import sums_json, sums_need_calculation, totals_from_cells

MAX_BULK_LINES = 10_000


@dataclass(frozen=True, slots=True)
class NewBulkGroup:
    group: NewGroup
    lines: Sequence[NewLine] = ()


def rename(error: DomainError, prefix: str) -> None:
    """Name ``error``'s fields after the item it came from (``lineItems[3].``)."""
    details = {f"{prefix}.{field}": reason for field, reason in error.details.items()} or {prefix: ""}
    error.details = {field: reason or error.message for field, reason in details.items()}
    error.message = f"{prefix}: {error.message}"
    error.args = (error.message,)


@contextmanager
def named(prefix: str) -> Iterator[None]:
    """Re-raise a domain error from one item with its fields named after the item (``lineItems[3].``)."""
    try:
        yield
    except DomainError as error:
        rename(error, prefix)
        raise


def line_count(groups: Sequence[NewBulkGroup], lines: Sequence[NewLine]) -> int:
    return len(lines) + sum(len(group.lines) for group in groups)


def prepare_all(
    groups: Sequence[NewBulkGroup], lines: Sequence[NewLine]
) -> tuple[list[NewBulkGroup], list[NewLine]]:
    """Every line :func:`~billfold.services.line_items.prepare`\\ d (the work that needs nothing stored,
    done before the transaction opens), after the count is checked. A line without usage or an inline
    price has nothing to prepare."""
    if line_count(groups, lines) > MAX_BULK_LINES:
        field = "lineItems" if lines else "lineItemGroups"
        raise ValidationFailed.field(field, f"at most {MAX_BULK_LINES} lines in all in one request")
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
) -> InvoiceRecord:
    """The invoice, then its groups (in order, each with its lines), then the standalone lines: the
    same positions, figures and totals as creating them one request at a time in that order. Answers
    the invoice's record as ``GET`` reads it for the native API."""
    view = await invoices.create_invoice(uow, actor, new)
    if not groups and not lines:
        return record_of(view)
    invoice = view.invoice
    setting = await totals.setting_for(uow, actor, invoice)
    lookups = Lookups()
    every_line = [*(line for bulk in groups for line in bulk.lines), *lines]
    await lookups.prime(
        uow, actor, {line.name for line in every_line if line.product_id is None and line.name}
    )
    known = Known()
    await known.look_up(uow, actor, lookups, every_line)
    made = _Made(uow, actor, invoice, setting, lookups, PlainLines(actor, invoice, setting, known, utcnow()))
    group_rows: list[m.LineItemGroup] = []
    for g, bulk in enumerate(groups):
        with named(f"lineItemGroups[{g}]"):
            group = await group_row(uow, actor, invoice, replace(bulk.group, idempotency_key=_key()), g)
        await made.add(f"lineItemGroups[{g}].lineItems", group, bulk.lines)
        for name, value in totals.amount_columns(made.sums.take_group()).items():
            setattr(group, name, value)
        group_rows.append(group)
    await made.add("lineItems", None, lines)
    rows = made.rows
    await uow.repo.insert_many(group_rows)
    await uow.repo.insert_lines(actor.organization_id, invoice.id, LINE_COLUMNS, rows)
    counters = {"next_group_index": len(group_rows), "next_line_index": len(rows)}
    cells = None if made.gross_up else made.sums.cell_list()
    if not await _store_totals(uow, actor, invoice, setting, counters, cells):
        # the lines' figures were rewritten
        return record_of(await invoices.load_invoice(uow, actor, invoice.id))
    return await _answer(uow, actor, invoice, setting, rows)


async def _answer(
    uow: UnitOfWork, actor: Actor, invoice: m.Invoice, setting: Setting, rows: Sequence[tuple[Any, ...]]
) -> InvoiceRecord:
    """The invoice as ``GET`` reads it. Where the database writes the lines' answers (PostgreSQL) and
    the stored figures are final, read as ``GET`` reads it; otherwise its lines as they were just
    inserted, not read back (reading 1,000 rows back into Python costs more than the insert)."""
    invoice = await invoices.get_invoice_row(uow, actor, invoice.id)
    final = not (
        sums_need_calculation(invoice.running_sums) or invoice.recalculate_all or invoice.allocations
    )
    if final and uow.repo.writes_json:
        return await load_invoice_record(uow, actor, invoice.id, native=True)
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
        self.plain = plain
        self.keys = _Keys()
        self.rows: list[tuple[Any, ...]] = []
        self.sums = Sums()
        self.gross_up = False

    async def add(self, field: str, group: m.LineItemGroup | None, lines: Sequence[NewLine]) -> None:
        """``lines`` (listed as ``field``) of ``group``; a failing line is named ``field[i]``."""
        rows, sums, plain, keys = self.rows, self.sums, self.plain, self.keys
        ids = iter(new_ids(len(lines)))
        for i, line in enumerate(lines):
            position = len(rows)
            try:
                if is_plain(line):
                    row, key, amounts = plain.row(line, group, position, next(ids), keys.text(position))
                else:
                    row, key, amounts = await self._line(line, group, position)
            except DomainError as error:
                rename(error, f"{field}[{i}]")
                raise
            rows.append(row)
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
