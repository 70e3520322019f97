"""The repository's read of a whole invoice's lines for its answers (a part of
:class:`billfold.db.repository.Repository`, kept apart to keep each module small).

One statement, plain rows (no ORM objects), columns in the order of
:class:`billfold.documents.records.LineRecord`. On PostgreSQL the ids and the amounts come back as text (the
amounts parsed once per distinct value), which keeps a 1,000-line read cheap.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from billfold.db import driver
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
_DECIMAL_POSITIONS = tuple(index for index, name in enumerate(LINE_COLUMNS) if name in DECIMAL_COLUMNS)


def _text_ids(row: Any) -> tuple[Any, ...]:
    values = list(row)
    for index in _ID_POSITIONS:
        if values[index] is not None:
            values[index] = str(values[index])
    return tuple(values)


def _decimals(rows: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows whose decimal columns came as PostgreSQL's exact text, with those as Decimals (each distinct
    text parsed once per read: an invoice repeats its quantities, prices and zeros)."""
    parsed: dict[str, Decimal] = {}
    out = []
    for row in rows:
        values = list(row)
        for index in _DECIMAL_POSITIONS:
            text = values[index]
            if text is not None:
                value = parsed.get(text)
                if value is None:
                    value = parsed[text] = Decimal(text)
                values[index] = value
        out.append(tuple(values))
    return out


_POSTGRESQL_LINES = (
    "SELECT "
    + ", ".join(f"{name}::text" if name in ID_COLUMNS | DECIMAL_COLUMNS else name for name in LINE_COLUMNS)
    + " FROM line_items WHERE organization_id = $1 AND invoice_id = $2 ORDER BY position"
)
"""PostgreSQL writes the uuids' and the numerics' exact text itself: the driver decodes text several times
faster than a binary numeric, and the rows are the driver's own (no result-row layer over them)."""
_POSTGRESQL_SOME_LINES = _POSTGRESQL_LINES.replace(" ORDER BY", " AND id = ANY($3::uuid[]) ORDER BY")


_POSTGRESQL_LINE_ANSWERS = (
    "SELECT id::text, group_id::text, tax_key_category_id::text, tax_key_rate::text, tax_key_inclusive,"
    " tax_amount::text,"
    " CASE WHEN amount_places = $3 THEN replace(replace(answer, chr(1), $4), chr(2), $5) END"
    " FROM line_items WHERE organization_id = $1 AND invoice_id = $2 ORDER BY position"
)
"""Each line's native answer as the database keeps it (``line_items.answer``, written by a trigger, see
migration 0014), with the invoice's customer id and currency put in; ``NULL`` for a line Python writes
(a price model, usage, sub-lines or adjustments, or written before lines kept their places);
with what the groups' tax per rate needs."""


_POSTGRESQL_KEPT_ANSWERS = (
    "SELECT group_id, CASE WHEN amount_places = $3 THEN answer END"
    " FROM line_items WHERE organization_id = $1 AND invoice_id = $2 ORDER BY position"
)
"""Each line's group and its answer as the database keeps it, in position order (``NULL`` where Python
must write it). Joined by Python, not by ``string_agg``: aggregating a 1,000-line invoice's answers
(~850 kB) sorts them twice (by group, then by position inside the aggregate) and cost the database 5-7
ms per read, where sending the rows in the index's order costs it ~1.5 ms."""
_POSTGRESQL_GROUP_TAXES = (
    "SELECT group_id::text, tax_key_category_id::text, tax_key_rate::text,"
    " coalesce(tax_key_inclusive, false), sum(tax_amount)::text"
    " FROM line_items WHERE organization_id = $1 AND invoice_id = $2 AND group_id IS NOT NULL"
    " AND tax_key_category_id IS NOT NULL AND tax_key_rate IS NOT NULL"
    " GROUP BY 1, 2, 3, 4 ORDER BY 1, min(position)"
)
"""Each group's tax per rate (the rate as its exact text, as the records key rates), in order of the
rate's first use in the group."""


def _filled(answers: str, customer: str, currency: str) -> str:
    """Kept answers with the invoice's customer id and currency put in (the trigger of migration 0014
    writes ``chr(1)`` and ``chr(2)`` in their places: both can change while the invoice is a draft)."""
    return answers.replace("\x01", customer).replace("\x02", currency)


def joined_answers(
    rows: Iterable[tuple[object, str | None]], customer_id: str, currency: str
) -> list[tuple[str | None, str]] | None:
    """``(group id, kept answer)`` pairs of an invoice's lines in position order, joined per group
    (``None``: the standalone lines) with the invoice's customer id and currency put in; ``None`` when a
    line has no kept answer."""
    by_group: dict[object, list[str]] = {}
    for group_id, answer in rows:
        if answer is None:
            return None
        kept = by_group.get(group_id)
        if kept is None:
            kept = by_group[group_id] = []
        kept.append(answer)
    customer = str(uuid.UUID(customer_id))  # ids and ISO 4217 codes need no JSON escaping
    return [
        (None if group_id is None else str(group_id), _filled(",".join(answers), customer, currency))
        for group_id, answers in by_group.items()
    ]


class InvoiceReads:
    session: AsyncSession

    @property
    def writes_json(self) -> bool:
        """Whether the database writes lines' answers as JSON (:meth:`line_answers`): PostgreSQL."""
        return driver.bound(self.session).dialect.name == "postgresql"

    async def line_answers(
        self, organization_id: uuid.UUID, invoice_id: uuid.UUID, customer_id: str, currency: str, places: int
    ) -> list[tuple[Any, ...]] | None:
        """The invoice's lines in position order as ``(id, group id, tax category id, rate, inclusive, tax
        amount, answer)``, ids and numbers as text, ``answer`` the line's native API answer as JSON text
        (``None`` where Python must write it); ``None`` on a database that does not keep them (SQLite).
        ``customer_id`` and ``currency`` are the invoice's, ``places`` its currency's decimal places."""
        if not self.writes_json:
            return None
        driver = await self._driver()
        customer = str(uuid.UUID(customer_id))  # ids and ISO 4217 codes need no JSON escaping
        rows: list[tuple[Any, ...]] = await driver.fetch(
            _POSTGRESQL_LINE_ANSWERS, organization_id, invoice_id, places, customer, currency
        )
        return rows

    async def joined_line_answers(
        self, organization_id: uuid.UUID, invoice_id: uuid.UUID, customer_id: str, currency: str, places: int
    ) -> list[tuple[str | None, str]] | None:
        """Each group's (``None``: the standalone lines') lines' native answers joined with commas in
        position order, when the database keeps every line's (PostgreSQL); else ``None``."""
        if not self.writes_json:
            return None
        driver = await self._driver()
        rows = await driver.fetch(_POSTGRESQL_KEPT_ANSWERS, organization_id, invoice_id, places)
        return joined_answers(rows, customer_id, currency)

    async def group_taxes(self, organization_id: uuid.UUID, invoice_id: uuid.UUID) -> list[tuple[Any, ...]]:
        """``(group id, tax category id, rate, inclusive, tax)`` per group and rate, as text (PostgreSQL)."""
        driver = await self._driver()
        rows: list[tuple[Any, ...]] = await driver.fetch(_POSTGRESQL_GROUP_TAXES, organization_id, invoice_id)
        return rows

    async def _driver(self) -> Any:
        connection = await self.session.connection()
        return (await connection.get_raw_connection()).driver_connection

    async def line_rows(
        self, organization_id: uuid.UUID, invoice_id: uuid.UUID, ids: Sequence[str] | None = None
    ) -> list[tuple[Any, ...]]:
        """The invoice's lines (those of ``ids`` only, when given) in position order, as tuples of
        :data:`LINE_COLUMNS`, ids as text."""
        if driver.bound(self.session).dialect.name == "postgresql":
            connection = await self.session.connection()
            asyncpg_connection: Any = (await connection.get_raw_connection()).driver_connection
            if ids is None:
                records = await asyncpg_connection.fetch(_POSTGRESQL_LINES, organization_id, invoice_id)
            else:
                chosen = [uuid.UUID(value) for value in ids]
                records = await asyncpg_connection.fetch(
                    _POSTGRESQL_SOME_LINES, organization_id, invoice_id, chosen
                )
            return _decimals(records)
        table = cast(Table, m.LineItem.__table__)
        statement = (
            select(*(table.c[name] for name in LINE_COLUMNS))
            .where(table.c.organization_id == organization_id, table.c.invoice_id == invoice_id)
            .order_by(table.c.position)
        )
        if ids is not None:
            statement = statement.where(table.c.id.in_([uuid.UUID(value) for value in ids]))
        return [_text_ids(row) for row in (await self.session.execute(statement)).all()]
