"""The lines of a bulk create as rows to insert, and the running sums they add up to.

A *plain* line (``quantity × unitPrice`` or a fixed ``amount``: no price model, not a tax gross-up) is
made here without awaiting anything: what it refers to (its product, its tax category) is looked up
before the first line is made, once per distinct product and category (:class:`Known`), and its rate
is resolved once per distinct (line, group, product) category. It goes through the same steps, checks
and functions as :func:`~billfold.services.line_items.line_row`, in the same order, so it fails with the
same error (a reference that failed its look-up fails the first line that uses it, where
:func:`~billfold.services.line_items.line_row` would have failed). Any other line is made by
:func:`~billfold.services.line_items.line_row` itself.

Each row is a tuple of column values in the order of :data:`LINE_COLUMNS` (the invoice and organization
are added by the insert). The running sums are added up as the rows are made: per cell (every line of
a new invoice is in the cell of its rate alone, nothing covers it yet) and per group.
"""

from __future__ import annotations

import uuid
from collections import namedtuple
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from billfold.core.amounts import Amounts
from billfold.core.money import CONTEXT, ZERO
from billfold.core.running import Cell
from billfold.core.taxes import TaxKey
from billfold.db import models as m
from billfold.db.uow import UnitOfWork
from billfold.services.calculation import GROSS_UP_SCOPE, Setting, line_alone, resolve_key
from billfold.services.context import Actor
from billfold.services.document_data import check_unit_code
from billfold.services.errors import DomainError, ValidationFailed
from billfold.services.groups import check_dates
from billfold.services.line_items import USER_SCOPES, Lookups, NewLine
from billfold.services.line_pricing import Priced, price_line, pricing_input

LINE_COLUMNS = (
    "id",
    "group_id",
    "product_id",
    "position",
    "name",
    "description",
    "scope",
    "start_date",
    "end_date",
    "pricing",
    "quantity",
    "unit_price",
    "price_id",
    "price_model",
    "price_config",
    "usage_input",
    "total_usage",
    "usage_format",
    "sub_lines",
    "tax_category_id",
    "tax_key_category_id",
    "tax_key_rate",
    "tax_key_inclusive",
    "adjustments",
    "credits_applied_amount",
    "adjustment_shares",
    "unit_code",
    "idempotency_key",
    "created_at",
    "subtotal_amount",
    "discount_amount",
    "adjustment_amount",
    "net_amount",
    "tax_amount",
    "total_amount",
    "amount_places",
)
"""A line's columns but ``organization_id`` and ``invoice_id`` (the same for every line of the insert)."""


def _stored_line() -> Any:
    return namedtuple("StoredLine", ("organization_id", "invoice_id", *LINE_COLUMNS))


StoredLine = _stored_line()
"""A line as inserted, read as a stored line is (attributes named after the columns)."""

_SCOPE_CHOICES = f"must be one of: {', '.join(sorted(USER_SCOPES))}"
ProductKey = tuple[uuid.UUID | None, str | None]


def is_plain(line: NewLine) -> bool:
    return line.price_id is None and line.price is None and line.scope != GROSS_UP_SCOPE


def row_of(values: dict[str, Any]) -> tuple[Any, ...]:
    """A row made by :func:`~billfold.services.line_items.line_row` in the order of :data:`LINE_COLUMNS`
    (a column it leaves out is NULL, as its insert would leave it)."""
    return tuple(values.get(name) for name in LINE_COLUMNS)


def product_key(line: NewLine) -> ProductKey:
    return line.product_id, None if line.product_id is not None else line.name


class Known:
    """The products and tax categories the plain lines name, looked up once each before any line is
    made; a failed look-up is kept and raised by the first line that names it."""

    def __init__(self) -> None:
        self.products: dict[ProductKey, m.Product | DomainError] = {}
        self.categories: dict[uuid.UUID, DomainError | None] = {}

    async def look_up(
        self, uow: UnitOfWork, actor: Actor, lookups: Lookups, lines: Sequence[NewLine]
    ) -> None:
        for line in lines:
            if not is_plain(line):
                continue
            key = product_key(line)
            if key not in self.products:
                try:
                    self.products[key] = await lookups.product(uow, actor, line.product_id, line.name)
                except DomainError as error:
                    self.products[key] = error
            category = line.tax_category_id
            if category is not None and category not in self.categories:
                try:
                    await lookups.tax_category(uow, actor, category)
                    self.categories[category] = None
                except DomainError as error:
                    self.categories[category] = error


class Sums:
    """The running sums of the lines made so far: per cell (rate) as :func:`~billfold.core.running.
    added_up` adds them, and of the current group as ``Amounts.__add__`` does."""

    def __init__(self) -> None:
        self.cells: dict[TaxKey | None, list[Any]] = {}
        self.group = [ZERO] * 6

    def add(self, key: TaxKey | None, amounts: Amounts, *, grouped: bool) -> None:
        """A line's figures alone into its cell's sums, and into its group's when ``grouped``."""
        subtotal, adjustment = amounts.subtotal, amounts.adjustment
        amount = subtotal + adjustment
        positive = amount if amount > 0 else Decimal(0)
        cell = self.cells.get(key)
        if cell is None:
            self.cells[key] = [subtotal, amounts.discount, amount, positive, 1, amounts.net, amounts.tax]
        else:
            cell[0] += subtotal
            cell[1] += amounts.discount
            cell[2] += amount
            cell[3] += positive
            cell[4] += 1
            cell[5] += amounts.net
            cell[6] += amounts.tax
        if grouped:
            group, plus = self.group, CONTEXT.add
            group[0] = plus(group[0], subtotal)
            group[1] = plus(group[1], amounts.discount)
            group[2] = plus(group[2], adjustment)
            group[3] = plus(group[3], amounts.net)
            group[4] = plus(group[4], amounts.tax)
            group[5] = plus(group[5], amounts.total)

    def take_group(self) -> Amounts:
        """The current group's sums; the next group starts from zero."""
        figures, self.group = self.group, [ZERO] * 6
        return Amounts(*figures)

    def cell_list(self) -> list[Cell]:
        return [Cell((), key, *figures) for key, figures in self.cells.items()]


_Rate = tuple[TaxKey | None, uuid.UUID | None, Decimal | None, bool | None]


def _rate(key: TaxKey | None) -> _Rate:
    """A resolved rate and its three columns (as :func:`~billfold.services.calculation.tax_key_columns`)."""
    if key is None:
        return None, None, None, None
    return key, uuid.UUID(key.tax_category_id), key.rate, key.inclusive


class PlainLines:
    """Makes the rows of plain lines of one new invoice."""

    def __init__(
        self, actor: Actor, invoice: m.Invoice, setting: Setting, known: Known, created_at: datetime
    ) -> None:
        self.actor = actor
        self.invoice = invoice
        self.setting = setting
        self.known = known
        self.created_at = created_at
        self.keys: dict[tuple[uuid.UUID | None, uuid.UUID | None, uuid.UUID | None], _Rate] = {}
        self.alone: dict[tuple[str, TaxKey], Amounts] = {}
        self.priced: dict[tuple[int, int, int], tuple[Any, Any, Any, Priced]] = {}

    def row(
        self, line: NewLine, group: m.LineItemGroup | None, position: int, line_id: uuid.UUID, key_text: str
    ) -> tuple[tuple[Any, ...], TaxKey | None, Amounts]:
        """The row of a plain line, its rate and its figures alone (the steps of ``line_row``)."""
        start = line.start_date or (group.start_date if group else self.invoice.period_start)
        end = line.end_date or (group.end_date if group else self.invoice.period_end)
        check_dates(start, end)
        if line.scope is not None and line.scope not in USER_SCOPES:
            raise ValidationFailed.field("scope", _SCOPE_CHOICES)
        product = self.known.products[product_key(line)]
        if isinstance(product, DomainError):
            raise product
        unit_price = line.unit_price
        if unit_price is None and line.amount is None:
            unit_price = product.default_unit_price
        setting = self.setting
        priced = self._priced(line.quantity, unit_price, line.amount)
        category = line.tax_category_id
        if category is not None:
            missing = self.known.categories[category]
            if missing is not None:
                raise missing
        group_category = group.tax_category_id if group else None
        names = (category, group_category, product.tax_category_id)
        rate = self.keys.get(names)
        if rate is None:
            rate = self.keys[names] = _rate(
                resolve_key(setting, *(None if n is None else str(n) for n in names))
            )
        key = rate[0]
        amounts = priced.amounts
        if key is not None:
            memo = (str(amounts.subtotal), key)
            alone = self.alone.get(memo)
            if alone is None:
                # without adjustments a line's figures alone depend on its base and its rate only
                line_input = pricing_input(line_id, priced, product.id, None)
                alone = self.alone[memo] = line_alone(setting, line_input, key)
            amounts = alone
        row = (
            line_id,
            group.id if group else None,
            product.id,
            position,
            line.name or product.name,
            line.description,
            line.scope or "one_off",
            start,
            end,
            priced.pricing,
            priced.quantity,
            priced.unit_price,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            category,
            rate[1],
            rate[2],
            rate[3],
            None,
            None,
            None,
            check_unit_code(line.unit_code),
            key_text,
            self.created_at,
            amounts.subtotal,
            amounts.discount,
            amounts.adjustment,
            amounts.net,
            amounts.tax,
            amounts.total,
            setting.currency.exponent,
        )
        return row, key, amounts

    def _priced(self, quantity: Decimal | None, unit_price: Decimal | None, amount: Decimal | None) -> Priced:
        """:func:`~billfold.services.line_pricing.price_line` of these values, once per distinct values
        of the request: a body's repeated texts are read into one shared value each
        (:class:`~billfold.api.bulk_body.PlainReader`), found again here by identity (kept alive with
        the result, and checked, so equal values of another scale, ``2`` and ``2.0``, are priced
        apart). Pricing is a pure function of them, the currency and the rounding mode."""
        slot = (id(quantity), id(unit_price), id(amount))
        found = self.priced.get(slot)
        if found is not None and found[0] is quantity and found[1] is unit_price and found[2] is amount:
            return found[3]
        priced = price_line(quantity, unit_price, amount, self.setting.currency, self.actor.rounding_mode)
        self.priced[slot] = (quantity, unit_price, amount, priced)
        return priced
