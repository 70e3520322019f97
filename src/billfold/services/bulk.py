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
from billfold.core.running import NotSummable, added_up, line_cell
from billfold.db import models as m
from billfold.db.ids import utcnow
from billfold.db.uow import UnitOfWork
from billfold.services import invoices, totals
from billfold.services.calculation import GROSS_UP_SCOPE, LineState, Setting
from billfold.services.context import Actor
from billfold.services.errors import DomainError, ValidationFailed
from billfold.services.groups import NewGroup, group_row
from billfold.services.line_items import Lookups, NewLine, line_row, prepare
from billfold.services.running_sums import sums_json, totals_from_cells

MAX_BULK_LINES = 10_000


@dataclass(frozen=True, slots=True)
class NewBulkGroup:
    group: NewGroup
    lines: Sequence[NewLine] = ()


@contextmanager
def named(prefix: str) -> Iterator[None]:
    """Re-raise a domain error from one item with its fields named after the item (``lineItems[3].``)."""
    try:
        yield
    except DomainError as error:
        details = {f"{prefix}.{field}": reason for field, reason in error.details.items()} or {prefix: ""}
        error.details = {field: reason or error.message for field, reason in details.items()}
        error.message = f"{prefix}: {error.message}"
        error.args = (error.message,)
        raise


def line_count(groups: Sequence[NewBulkGroup], lines: Sequence[NewLine]) -> int:
    return len(lines) + sum(len(group.lines) for group in groups)


def prepare_all(
    groups: Sequence[NewBulkGroup], lines: Sequence[NewLine]
) -> tuple[list[NewBulkGroup], list[NewLine]]:
    """Every line :func:`~billfold.services.line_items.prepare`\\ d (the work that needs nothing stored,
    done before the transaction opens), after the count is checked."""
    if line_count(groups, lines) > MAX_BULK_LINES:
        field = "lineItems" if lines else "lineItemGroups"
        raise ValidationFailed.field(field, f"at most {MAX_BULK_LINES} lines in all in one request")
    prepared_groups = []
    for g, bulk in enumerate(groups):
        done = []
        for i, line in enumerate(bulk.lines):
            with named(f"lineItemGroups[{g}].lineItems[{i}]"):
                done.append(prepare(line))
        prepared_groups.append(replace(bulk, lines=done))
    prepared_lines = []
    for i, line in enumerate(lines):
        with named(f"lineItems[{i}]"):
            prepared_lines.append(prepare(line))
    return prepared_groups, prepared_lines


async def create_invoice_with_lines(
    uow: UnitOfWork,
    actor: Actor,
    new: invoices.NewInvoice,
    groups: Sequence[NewBulkGroup] = (),
    lines: Sequence[NewLine] = (),
) -> invoices.InvoiceView:
    """The invoice, then its groups (in order, each with its lines), then the standalone lines: the
    same positions, figures and totals as creating them one request at a time in that order."""
    view = await invoices.create_invoice(uow, actor, new)
    if not groups and not lines:
        return view
    invoice = view.invoice
    setting = await totals.setting_for(uow, actor, invoice)
    lookups = Lookups()
    every_line = [*(line for bulk in groups for line in bulk.lines), *lines]
    await lookups.prime(
        uow, actor, {line.name for line in every_line if line.product_id is None and line.name}
    )
    group_rows: list[m.LineItemGroup] = []
    line_rows: list[dict[str, Any]] = []
    states: list[LineState] = []
    for g, bulk in enumerate(groups):
        with named(f"lineItemGroups[{g}]"):
            group = await group_row(uow, actor, invoice, replace(bulk.group, idempotency_key=_key()), g)
        sums = Amounts()
        for i, line in enumerate(bulk.lines):
            with named(f"lineItemGroups[{g}].lineItems[{i}]"):
                row, state = await line_row(
                    uow, actor, invoice, group, _keyed(line), setting, len(line_rows), lookups
                )
            line_rows.append(row)
            states.append(state)
            sums = sums + state.amounts
        for name, value in totals.amount_columns(sums).items():
            setattr(group, name, value)
        group_rows.append(group)
    for i, line in enumerate(lines):
        with named(f"lineItems[{i}]"):
            row, state = await line_row(
                uow, actor, invoice, None, _keyed(line), setting, len(line_rows), lookups
            )
        line_rows.append(row)
        states.append(state)
    await uow.repo.insert_many(group_rows)
    await uow.repo.insert_values(m.LineItem, line_rows)
    await _store_totals(uow, actor, invoice, setting, line_rows, states, len(group_rows))
    return await invoices.load_invoice(uow, actor, invoice.id)


async def _store_totals(
    uow: UnitOfWork,
    actor: Actor,
    invoice: m.Invoice,
    setting: Setting,
    rows: Sequence[dict[str, Any]],
    states: Sequence[LineState],
    group_count: int,
) -> None:
    """The invoice's running sums and totals, worked out once from every new line (no adjustment
    covers a line of a new invoice); a gross-up line or sums that cannot decide take the full path."""
    counters = {"next_group_index": group_count, "next_line_index": len(rows)}
    if any(row["scope"] == GROSS_UP_SCOPE for row in rows):
        await uow.repo.write_values(invoice, counters)
        await totals.recalculate(uow, actor, invoice, setting)
        return
    cells = added_up([line_cell([], state.tax_key, state.amounts) for state in states])
    try:
        amounts = totals_from_cells(setting, cells, [])
    except NotSummable:
        await uow.repo.write_values(invoice, counters)
        await totals.recalculate(uow, actor, invoice, setting)
        return
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


def _key() -> str:
    return uuid.uuid4().hex


def _keyed(line: NewLine) -> NewLine:
    return replace(line, idempotency_key=_key())
