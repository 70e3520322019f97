"""The repository's queries about an invoice's lines and line groups: reading, bulk-inserting, updating
and deleting them (a part of :class:`billfold.db.repository.Repository`, kept apart to keep each module
small). Every one is scoped by organization; the read of a whole invoice's lines for its answers lives in
:mod:`billfold.db.invoice_reads`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import cache, partial
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    JSON,
    Column,
    MetaData,
    Row,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    type_coerce,
    update,
)
from sqlalchemy import cast as cast_
from sqlalchemy.ext.asyncio import AsyncSession

from billfold.db import driver
from billfold.db import models as m
from billfold.db.bulk_insert import COMPACT_JSON, insert_rows
from billfold.db.organization_queries import NOT_READ, Along, take_along

# A line as :meth:`LineQueries.lines_of` reads it: its columns by name (``row.quantity``) or position.
LineRow = Row[Any]


def lines_of_statement() -> Any:
    """An invoice's lines, every column (:meth:`LineQueries.lines_of`)."""
    table = cast(Table, m.LineItem.__table__)
    return (
        select(*table.columns)
        .where(
            table.c.organization_id == bindparam("organization_id", type_=table.c.organization_id.type),
            table.c.invoice_id == bindparam("invoice_id", type_=table.c.invoice_id.type),
        )
        .order_by(table.c.position)
    )


class CategoryRow(NamedTuple):
    """A tax category as :meth:`LineQueries.lock_invoice_for_line` reads it (as ``tax_categories_of``)."""

    id: uuid.UUID
    name: str
    rates: list[dict[str, Any]]


class ForNewLine(NamedTuple):
    """What adding a line reads with the invoice's lock: the invoice, the organization's tax
    categories, the product of the line's name (``None``: no name asked or no such product) and the
    line's group, locked too (``None`` when no group was asked)."""

    invoice: m.Invoice
    categories: list[CategoryRow]
    product: m.Product | None
    group: m.LineItemGroup | None
    version: tuple[str, ...] | None = None
    """Read without a lock: the ``xmin`` and ``xmax`` of the invoice's row, then of the group's."""
    refreshable: bool = False
    """Read without a lock: whether the invoice's latest event is an ``invoice.updated`` still waiting
    for its deliverers (an add refreshes it instead of recording one)."""


def waiting_update_id(organization_id: Any, invoice_id: Any, *, correlate: Any = None) -> Any:
    """The id of the invoice's waiting ``invoice.updated`` (a scalar subquery; ``NULL``: none): the
    invoice's latest event, if it is an ``invoice.updated`` and no deliverer has picked it up (none of
    its deliveries leased, attempted or finished). The latest event is read once, by the invoice's
    events' index, and its type and deliveries checked on that row (a lookup of the id afterwards may
    be planned on the type's index instead, reading every ``invoice.updated`` of the organization).
    ``correlate``: the enclosing statement's table that ``organization_id`` and ``invoice_id`` are
    columns of."""
    table = cast(Table, m.InvoiceEvent.__table__)
    latest_of = table.alias("latest_event")
    deliveries = cast(Table, m.WebhookDelivery.__table__).alias("latest_event_deliveries")
    latest_query = (
        select(latest_of.c.organization_id, latest_of.c.id, latest_of.c.type)
        .where(latest_of.c.organization_id == organization_id, latest_of.c.invoice_id == invoice_id)
        .order_by(latest_of.c.sequence.desc())
        .limit(1)
    )
    if correlate is not None:
        latest_query = latest_query.correlate(correlate)
    latest = latest_query.subquery("latest")
    picked_up = (
        select(deliveries.c.id)
        .where(
            deliveries.c.organization_id == latest.c.organization_id,
            deliveries.c.event_id == latest.c.id,
            (deliveries.c.attempts > 0)
            | deliveries.c.lease_until.is_not(None)
            | (deliveries.c.status != "pending"),
        )
        .exists()
    )
    waiting = select(latest.c.id).where(latest.c.type == "invoice.updated", ~picked_up)
    if correlate is not None:
        waiting = waiting.correlate(correlate)
    return waiting.scalar_subquery()


def waiting_update(invoice_id: Any) -> Any:
    """Whether the invoice ``invoice_id`` (a column of the enclosing statement's ``invoices``) has a
    waiting ``invoice.updated`` (:func:`waiting_update_id`): the event an add's ``invoice.updated``
    refreshes (:meth:`Repository.refresh_waiting_update`)."""
    invoice = cast(Table, m.Invoice.__table__)
    return waiting_update_id(invoice.c.organization_id, invoice_id, correlate=invoice).is_not(None)


def _version(table: Table) -> list[Any]:
    """The row's ``xmin`` and ``xmax`` as text (PostgreSQL): any change to the row, and any lock taken
    on it, moves one of them."""
    return [
        cast_(literal_column(f"{table.name}.{column}"), Text).label(f"{table.name}_{column}")
        for column in ("xmin", "xmax")
    ]


def _for_new_line(dialect: str, grouped: bool, lock: bool = True) -> Any:
    """:meth:`LineQueries.lock_invoice_for_line`'s statement (``organization_id``, ``row_id``,
    ``product_name``, and ``group_id`` when ``grouped``): the invoice's columns, the organization's tax
    categories as one JSON array (a column of the invoice's row, so one round trip reads them all), the
    product's columns and the group's (:func:`driver.columns_of` each). ``lock=False`` (PostgreSQL):
    nothing locked; then the rows' versions and whether the invoice has a waiting ``invoice.updated``."""
    invoice, product, group = (
        cast(Table, model.__table__) for model in (m.Invoice, m.Product, m.LineItemGroup)
    )
    categories = cast(Table, m.TaxCategory.__table__)
    organization = bindparam("organization_id", type_=invoice.c.organization_id.type)
    aggregated: Any
    if dialect == "postgresql":
        entry = func.json_build_array(categories.c.id, categories.c.name, categories.c.rates)
        aggregated = func.coalesce(func.json_agg(entry), func.json_build_array())
    else:
        entry = func.json_array(categories.c.id, categories.c.name, func.json(categories.c.rates))
        aggregated = func.json_group_array(entry)
    listed = select(aggregated).where(categories.c.organization_id == organization).scalar_subquery()
    statement = (
        select(
            *driver.columns_of(m.Invoice),
            type_coerce(listed, JSON).label("categories"),
            *driver.columns_of(m.Product),
        )
        .select_from(invoice)
        .outerjoin(
            product,
            and_(
                product.c.organization_id == invoice.c.organization_id,
                product.c.name == bindparam("product_name", type_=product.c.name.type),
            ),
        )
        .where(
            invoice.c.organization_id == organization,
            invoice.c.id == bindparam("row_id", type_=invoice.c.id.type),
        )
    )
    if not lock:
        statement = statement.add_columns(*_version(invoice), waiting_update(invoice.c.id).label("waiting"))
    if not grouped:
        return statement.with_for_update(of=invoice) if lock else statement
    # The group locked with the invoice (the invoice's row first, as every other writer locks them):
    # each row as its latest version, however long the lock was waited for.
    statement = statement.add_columns(*driver.columns_of(m.LineItemGroup)).join(
        group,
        and_(
            group.c.organization_id == invoice.c.organization_id,
            group.c.invoice_id == invoice.c.id,
            group.c.id == bindparam("group_id", type_=group.c.id.type),
        ),
    )
    if not lock:
        return statement.add_columns(*_version(group))
    return statement.with_for_update(of=[invoice, group])


_NEW_LINE_LAYOUT: tuple[type | None, ...] = (m.Invoice, None, m.Product)


def new_line_along(invoice_id: uuid.UUID, product_name: str | None, group_id: uuid.UUID | None) -> Along:
    """:meth:`LineQueries.lock_invoice_for_line`'s read with ``lock=False``, to be sent with the caller's
    key (PostgreSQL): the method then finds it read."""
    grouped = group_id is not None
    params: dict[str, Any] = {"row_id": invoice_id, "product_name": product_name}
    if grouped:
        params["group_id"] = group_id
    return Along(
        ("lock_invoice_for_line", "postgresql", grouped, False),
        partial(_for_new_line, "postgresql", grouped, False),
        params,
        ("new_line", invoice_id, product_name, group_id),
    )


@cache
def answered_lines() -> Table:
    """``line_items`` with PostgreSQL's ``answer`` (not mapped: migration 0014), for inserts that bring
    their lines' answers (:meth:`Repository.keep_answer`, :meth:`LineQueries.insert_lines`). Its columns'
    names and types only: what an INSERT is compiled from. ``answer`` holds compact JSON
    (:data:`~billfold.db.bulk_insert.COMPACT_JSON`)."""
    table = cast(Table, m.LineItem.__table__)
    columns = (
        Column(
            column.name,
            column.type,
            primary_key=column.primary_key,
            # what copy_data reads: a column with a default is never left out of a COPY
            server_default=None if column.server_default is None else column.server_default.arg,  # type: ignore[attr-defined]
        )
        for column in table.c
    )
    return Table(table.name, MetaData(), *columns, Column("answer", Text, info={COMPACT_JSON: True}))


class LineQueries:
    session: AsyncSession
    _along: dict[tuple[Any, ...], tuple[Any, ...] | None]  # see organization_queries.take_along

    async def lock_invoice_for_line(
        self,
        organization_id: uuid.UUID,
        invoice_id: uuid.UUID,
        product_name: str | None,
        group_id: uuid.UUID | None = None,
        *,
        lock: bool = True,
    ) -> ForNewLine | None:
        """Row-lock the invoice (as ``get_for_update``) and, in the same statement, read the
        organization's tax categories and its product named ``product_name``, and lock the invoice's
        group ``group_id`` when one is given: what adding a line reads, in one round trip instead of
        three or four. ``None``: no such invoice (or no such group on it). ``lock=False`` (PostgreSQL,
        an add that locks nothing until its one write, see :func:`billfold.services.line_items.create_line`):
        nothing locked; the rows' versions and whether the invoice has a waiting ``invoice.updated`` are
        read too.

        The categories and the product are read as the statement starts (a wait for the invoice's lock
        does not refresh them): the invoice's lock does not guard them, so this is as if they had been
        read just before it."""
        dialect = driver.bound(self.session).dialect.name
        grouped = group_id is not None
        slot = ("new_line", invoice_id, product_name, group_id)
        along = NOT_READ if lock else take_along(self._along, organization_id, slot)
        if along is not NOT_READ:  # read with the caller's key (new_line_along)
            found: Sequence[Any] = [] if along is None else [along]
        else:
            params = {"organization_id": organization_id, "row_id": invoice_id, "product_name": product_name}
            if grouped:
                params["group_id"] = group_id
            found = await driver.rows(
                self.session,
                ("lock_invoice_for_line", dialect, grouped, lock),
                partial(_for_new_line, dialect, grouped, lock),
                params,
            )
        if not found:
            return None
        layout: tuple[type | None, ...] = _NEW_LINE_LAYOUT
        if not lock:
            layout = (*layout, None, None, None)
        if grouped:
            layout = (*layout, m.LineItemGroup)
        if not lock and grouped:
            layout = (*layout, None, None)
        invoice, categories, product, *rest = driver.split(self.session, found[0], layout)
        listed = [CategoryRow(uuid.UUID(str(entry[0])), entry[1], entry[2]) for entry in categories or []]
        listed.sort(key=lambda category: category.id)  # as tax_categories_of orders them
        if lock:
            return ForNewLine(invoice, listed, product, rest[0] if grouped else None)
        xmin, xmax, waiting, *in_group = rest
        group = in_group[0] if grouped else None
        return ForNewLine(invoice, listed, product, group, (xmin, xmax, *in_group[1:]), bool(waiting))

    async def groups_of(self, organization_id: uuid.UUID, invoice_id: uuid.UUID) -> list[m.LineItemGroup]:
        statement = (
            select(m.LineItemGroup)
            .where(
                m.LineItemGroup.organization_id == organization_id, m.LineItemGroup.invoice_id == invoice_id
            )
            .order_by(m.LineItemGroup.position)
        )
        return list((await self.session.execute(statement)).scalars())

    async def groups_of_invoice(
        self, organization_id: uuid.UUID, invoice: m.Invoice
    ) -> list[m.LineItemGroup]:
        """:meth:`groups_of` the organization's ``invoice``, without a query when it never had a group
        (``next_group_index`` counts every group made for it, and only grows)."""
        if invoice.next_group_index == 0:
            return []
        return await self.groups_of(organization_id, invoice.id)

    async def groups_spanning(
        self, organization_id: uuid.UUID, invoice_id: uuid.UUID, start: Any, end: Any
    ) -> list[m.LineItemGroup]:
        """The invoice's groups whose dates are exactly ``start`` to ``end``."""
        statement = (
            select(m.LineItemGroup)
            .where(
                m.LineItemGroup.organization_id == organization_id,
                m.LineItemGroup.invoice_id == invoice_id,
                m.LineItemGroup.start_date == start,
                m.LineItemGroup.end_date == end,
            )
            .order_by(m.LineItemGroup.position)
        )
        return list((await self.session.execute(statement)).scalars())

    async def lines_of(self, organization_id: uuid.UUID, invoice_id: uuid.UUID) -> list[LineRow]:
        """The invoice's lines as plain rows (not ORM objects: a 1,000-line read stays cheap), read on the
        driver (:func:`driver.rows`): each reads its columns by name, and ``_fields`` names them."""
        params = {"organization_id": organization_id, "invoice_id": invoice_id}
        return await driver.rows(self.session, "lines_of", lines_of_statement, params)

    async def net_amounts_of_scope(
        self, organization_id: uuid.UUID, invoice_id: uuid.UUID, scope: str
    ) -> list[Any]:
        """The net amounts of the invoice's lines of ``scope``, in their order: what a paid invoice's
        ``credit_purchase`` lines grant, without reading its other lines."""

        def build() -> Any:
            table = cast(Table, m.LineItem.__table__)
            return (
                select(table.c.net_amount)
                .where(
                    table.c.organization_id
                    == bindparam("organization_id", type_=table.c.organization_id.type),
                    table.c.invoice_id == bindparam("invoice_id", type_=table.c.invoice_id.type),
                    table.c.scope == bindparam("scope", type_=table.c.scope.type),
                )
                .order_by(table.c.position)
            )

        params = {"organization_id": organization_id, "invoice_id": invoice_id, "scope": scope}
        return [row[0] for row in await driver.rows(self.session, "net_amounts_of_scope", build, params)]

    async def lines_spanning(
        self, organization_id: uuid.UUID, invoice_id: uuid.UUID, start: Any, end: Any
    ) -> list[tuple[uuid.UUID, str]]:
        """The ids and pricing of the invoice's lines whose dates are exactly ``start`` to ``end``."""
        table = cast(Table, m.LineItem.__table__)
        statement = (
            select(table.c.id, table.c.pricing)
            .where(
                table.c.organization_id == organization_id,
                table.c.invoice_id == invoice_id,
                table.c.start_date == start,
                table.c.end_date == end,
            )
            .order_by(table.c.position)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(statement)).all()]

    async def insert_lines(
        self,
        organization_id: uuid.UUID,
        invoice_id: uuid.UUID,
        names: Sequence[str],
        rows: Sequence[Sequence[Any]],
        answers: Sequence[str | None] | None = None,
    ) -> None:
        """New lines of one invoice (a bulk create's), each row's values in the order of ``names``, in one
        statement (:func:`~billfold.db.bulk_insert.insert_rows`); every row gets this organization and
        invoice. ``answers`` (PostgreSQL): each line's answer as ``line_items.answer`` keeps it, or
        ``None`` where the database's trigger is to write it."""
        scalars = {"organization_id": organization_id, "invoice_id": invoice_id}
        if answers is None:
            await insert_rows(self.session, cast(Table, m.LineItem.__table__), scalars, names, rows)
            return
        await insert_rows(self.session, answered_lines(), scalars, names, rows, {"answer": answers})

    async def update_line_values(
        self, organization_id: uuid.UUID, line_id: uuid.UUID, values: dict[str, Any]
    ) -> None:
        table = cast(Table, m.LineItem.__table__)
        statement = update(table).where(table.c.organization_id == organization_id, table.c.id == line_id)
        await self.session.execute(statement, values)

    async def update_lines(self, organization_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
        """Set columns of many lines at once (one executemany): each dict has ``line_id`` and values."""
        if not rows:
            return
        table = cast(Table, m.LineItem.__table__)
        names = [name for name in rows[0] if name != "line_id"]
        statement = (
            update(table)
            .where(table.c.organization_id == organization_id, table.c.id == bindparam("line_id"))
            .values({name: bindparam(name) for name in names})
        )
        await self.session.execute(statement, rows)

    async def delete_lines_of_group(self, organization_id: uuid.UUID, group_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(m.LineItem).where(
                m.LineItem.organization_id == organization_id, m.LineItem.group_id == group_id
            )
        )
