"""Which unique constraint a failed write ran into, on PostgreSQL and on SQLite alike.

PostgreSQL (asyncpg) names the constraint (``UniqueViolationError.constraint_name``). SQLite names only
the columns (``UNIQUE constraint failed: customers.organization_id, customers.idempotency_key``); they
are mapped back to the constraint's name through the models, where every unique constraint and unique
index is named.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Index, Table, UniqueConstraint
from sqlalchemy.exc import IntegrityError

from billfold.db.models import Base

_SQLITE_UNIQUE = "UNIQUE constraint failed: "
_POSTGRES_UNIQUE = "23505"


@cache
def _names_by_columns() -> dict[tuple[str, tuple[str, ...]], str]:
    """``(table, columns)`` -> name of every named unique constraint and unique index."""
    names: dict[tuple[str, tuple[str, ...]], str] = {}
    for table in Base.metadata.tables.values():
        for key, name in _uniques(table):
            names[(table.name, key)] = name
    return names


def _uniques(table: Table) -> list[tuple[tuple[str, ...], str]]:
    found = [
        (tuple(column.name for column in constraint.columns), str(constraint.name))
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint) and isinstance(constraint.name, str)
    ]
    key = table.primary_key
    if isinstance(key.name, str):  # a natural key, named in its model (a record's scope and key)
        found.append((tuple(column.name for column in key.columns), key.name))
    found += [
        (tuple(column.name for column in index.columns), str(index.name))
        for index in table.indexes
        if isinstance(index, Index) and index.unique and isinstance(index.name, str)
    ]
    return found


def unique_violation(error: IntegrityError) -> str | None:
    """The name of the unique constraint (or unique index, or natural primary key) declared in the models
    that ``error`` violated; ``None`` for any other integrity error (an ``(organization_id, id)`` primary
    key, a foreign key, NOT NULL, a check)."""
    cause = error.orig.__cause__ if error.orig is not None else None
    if getattr(cause, "sqlstate", None) == _POSTGRES_UNIQUE:
        name = getattr(cause, "constraint_name", None)
        return name if name in _names_by_columns().values() else None
    message = str(error.orig)
    if not message.startswith(_SQLITE_UNIQUE):
        return None
    qualified = [part.strip() for part in message.removeprefix(_SQLITE_UNIQUE).split(",")]
    tables = {part.partition(".")[0] for part in qualified}
    if len(tables) != 1:
        return None
    columns = tuple(part.partition(".")[2] for part in qualified)
    return _names_by_columns().get((tables.pop(), columns))
