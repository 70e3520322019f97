"""The repository's read of a whole invoice's lines for its answers (a part of
:class:`billfold.db.repository.Repository`, kept apart to keep each module small).

One statement, plain rows (no ORM objects), columns in the order of
:class:`billfold.documents.records.LineRecord`. On PostgreSQL the ids come back as text and the amounts
as the driver's own Decimals (no per-value conversion in Python), which keeps a 1,000-line read cheap.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import Numeric, Table, Text, select, type_coerce
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from billfold.db import models as m

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
    "unit_code",
    "quantity",
    "unit_price",
    "price_id",
    "price_model",
    "price_config",
    "usage_input",
    "total_usage",
    "usage_format",
    "sub_lines",
    "subtotal_amount",
    "discount_amount",
    "adjustment_amount",
    "net_amount",
    "tax_amount",
    "total_amount",
    "adjustments",
    "adjustment_shares",
    "credits_applied_amount",
    "idempotency_key",
    "created_at",
    "tax_key_category_id",
    "tax_key_rate",
    "tax_key_inclusive",
)
ID_COLUMNS = frozenset({"id", "group_id", "product_id", "price_id", "tax_key_category_id"})
DECIMAL_COLUMNS = frozenset(
    {
        "quantity",
        "unit_price",
        "total_usage",
        "subtotal_amount",
        "discount_amount",
        "adjustment_amount",
        "net_amount",
        "tax_amount",
        "total_amount",
        "credits_applied_amount",
        "tax_key_rate",
    }
)
_ID_POSITIONS = tuple(index for index, name in enumerate(LINE_COLUMNS) if name in ID_COLUMNS)


def _text_ids(row: Any) -> tuple[Any, ...]:
    values = list(row)
    for index in _ID_POSITIONS:
        if values[index] is not None:
            values[index] = str(values[index])
    return tuple(values)


class InvoiceReads:
    session: AsyncSession

    async def line_rows(self, organization_id: uuid.UUID, invoice_id: uuid.UUID) -> list[tuple[Any, ...]]:
        """The invoice's lines in position order, as tuples of :data:`LINE_COLUMNS`, ids as text."""
        table = cast(Table, m.LineItem.__table__)
        native = self.session.get_bind().dialect.name == "postgresql"
        columns: list[Any] = []
        for name in LINE_COLUMNS:
            column = table.c[name]
            if native and name in ID_COLUMNS:
                columns.append(sql_cast(column, Text))  # PostgreSQL writes the uuid's text itself
            elif native and name in DECIMAL_COLUMNS:
                columns.append(type_coerce(column, Numeric(asdecimal=True)))  # asyncpg's own Decimal
            else:
                columns.append(column)
        statement = (
            select(*columns)
            .where(table.c.organization_id == organization_id, table.c.invoice_id == invoice_id)
            .order_by(table.c.position)
        )
        rows = (await self.session.execute(statement)).all()
        if native:
            return [tuple(row) for row in rows]
        return [_text_ids(row) for row in rows]
