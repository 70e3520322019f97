"""The repository's queries about an invoice's lines and line groups: reading, bulk-inserting, updating
and deleting them (a part of :class:`billfold.db.repository.Repository`, kept apart to keep each module
small). Every one is scoped by organization; the read of a whole invoice's lines for its answers lives in
:mod:`billfold.db.invoice_reads`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billfold.db import models as m
from billfold.db.bulk_insert import insert_rows

LineRow = Row[Any]


class LineQueries:
    session: AsyncSession

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
        """The invoice's lines as plain rows (not ORM objects: a 1,000-line read stays cheap)."""
        table = m.LineItem.__table__
        statement = (
            select(*table.columns)
            .where(table.c.organization_id == organization_id, table.c.invoice_id == invoice_id)
            .order_by(table.c.position)
        )
        return list((await self.session.execute(statement)).all())

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
    ) -> None:
        """New lines of one invoice (a bulk create's), each row's values in the order of ``names``, in one
        statement (:func:`~billfold.db.bulk_insert.insert_rows`); every row gets this organization and
        invoice."""
        scalars = {"organization_id": organization_id, "invoice_id": invoice_id}
        await insert_rows(self.session, cast(Table, m.LineItem.__table__), scalars, names, rows)

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
