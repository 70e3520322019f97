"""Many rows of one table in one round trip: the lines of a bulk invoice create.

On PostgreSQL the rows go to the driver as they are, in one ``executemany`` of a statement built once
per table and columns (the driver keeps it prepared and pipelines the rows in one round trip): no
per-row work in Python besides the driver's encoding of each value. The ORM's insert would first build
and type-process every row's parameters, which cost more than the whole insert. (An
``INSERT ... SELECT FROM unnest($1::uuid[], ...)`` of one array per column costs the driver about
twice as much CPU as this, its array encoding checking every element's type; a ``COPY`` slightly less,
but outside the connection's statement handling.) JSON values go as text, as the ORM sends them
(``None`` is SQL NULL, as the column stores it). Elsewhere (SQLite) the rows go in with the ORM's
``executemany``, whose type processing SQLite needs (decimals and ids stored as text).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy import insert as insert_statement
from sqlalchemy.ext.asyncio import AsyncSession


@cache
def _insert_sql(table: Table, names: tuple[str, ...]) -> str:
    columns = ", ".join(f'"{name}"' for name in names)
    values = ", ".join(f"${i + 1}" for i in range(len(names)))
    return f'INSERT INTO "{table.name}" ({columns}) VALUES ({values})'


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
    constant = tuple(scalars.values())
    keys = (*scalars, *names)
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        await session.execute(
            insert_statement(table), [dict(zip(keys, (*constant, *row), strict=True)) for row in rows]
        )
        return
    json_at = [i for i, name in enumerate(names) if isinstance(table.c[name].type, JSON)]
    await connection.exec_driver_sql(
        _insert_sql(table, keys), [constant + _with_json_text(row, json_at) for row in rows]
    )


def _with_json_text(row: Sequence[Any], at: list[int]) -> tuple[Any, ...]:
    """``row`` with its JSON values as text (the connection's JSON codec takes text, as the ORM sends)."""
    if all(row[i] is None for i in at):
        return tuple(row)
    values = list(row)
    for i in at:
        if values[i] is not None:
            values[i] = json.dumps(values[i])
    return tuple(values)
