"""Many rows of one table in one round trip: the lines of a bulk invoice create.

On PostgreSQL the rows go to the driver as they are, in one ``executemany`` of a statement built once
per table and columns (the driver keeps it prepared and pipelines the rows in one round trip). The
ORM's insert would first build and type-process every row's parameters, which cost more than the whole
insert. Decimals go as text (``$5::text::numeric``: the exact digits and scale, as the binary form
carries them): the driver's binary encoding of a decimal costs about 1.5 µs, its text 0.4 µs with the
conversion, and a line has eight. JSON values go as text, as the ORM sends them (``None`` is SQL NULL,
as the column stores it). An ``INSERT ... SELECT FROM unnest($1::uuid[], ...)`` of one array per
column costs the driver more CPU than this (its array encoding checks every element's type); a
``COPY`` slightly less, but outside the connection's statement handling. Elsewhere (SQLite) the rows go
in with the ORM's ``executemany``, whose type processing SQLite needs (decimals and ids as text).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from itertools import repeat
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy import insert as insert_statement
from sqlalchemy.ext.asyncio import AsyncSession

from billfold.db.types import ExactDecimal


@cache
def _insert_sql(table: Table, names: tuple[str, ...]) -> str:
    columns = ", ".join(f'"{name}"' for name in names)
    values = ", ".join(
        f"${i}::text::numeric" if _is_decimal(table, name) else f"${i}" for i, name in enumerate(names, 1)
    )
    return f'INSERT INTO "{table.name}" ({columns}) VALUES ({values})'


def _is_decimal(table: Table, name: str) -> bool:
    return isinstance(table.c[name].type, ExactDecimal)


def _is_json(table: Table, name: str) -> bool:
    return isinstance(table.c[name].type, JSON)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


async def insert_rows(
    session: AsyncSession,
    table: Table,
    scalars: dict[str, Any],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert ``rows`` (values in the order of ``names``) into ``table``, every row with the values of
    ``scalars`` too, in one round trip."""
    if not rows:
        return
    keys = (*scalars, *names)
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        constant = tuple(scalars.values())
        await session.execute(
            insert_statement(table), [dict(zip(keys, (*constant, *row), strict=True)) for row in rows]
        )
        return
    columns: list[Iterable[Any]] = list(zip(*rows, strict=True))
    for index, name in enumerate(names):
        if _is_decimal(table, name):
            columns[index] = map(_text, columns[index])
        elif _is_json(table, name):
            columns[index] = map(_json_text, columns[index])
    every_row = [repeat(value) for value in scalars.values()]  # endless: zip stops with the rows
    await connection.exec_driver_sql(_insert_sql(table, keys), list(zip(*every_row, *columns, strict=False)))
