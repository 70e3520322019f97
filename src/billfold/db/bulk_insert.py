"""Many rows of one table in one round trip: the lines of a bulk invoice create.

On PostgreSQL the rows go in with ``COPY … FROM STDIN`` in its text format, on the transaction's own
connection: PostgreSQL parses each row once and runs no statement per row, where an ``executemany`` of
an ``INSERT`` (what this did before) binds and executes the statement once per row: its backends spent
~20-25 % more CPU on the same 1,000 lines of ``line_items`` (its foreign keys, indexes and the trigger
that keeps each line's answer run for every row either way; docs/benchmarks.md). Each column's values
are written as PostgreSQL's own text for them: decimals as their exact digits (``str``, which the
``numeric`` input reads with their scale), ids, integers and dates as text, JSON as its serialized text
(``None`` is SQL NULL, as the column stores it), booleans as ``t``/``f``; text is escaped as the format
asks (backslash, tab, newline, carriage return); ids as their 32 hex digits (``uuid_in`` reads them
without hyphens). The ORM's insert would first build and type-process
every row's parameters, which cost more than the whole insert. A constraint the rows break is raised as
the ORM would raise it (:class:`~sqlalchemy.exc.IntegrityError`, with the driver's error as its cause),
so :func:`billfold.db.errors.unique_violation` reads it the same. Elsewhere (SQLite) the rows go in with
the ORM's ``executemany``, whose type processing SQLite needs (decimals and ids as text).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import date, datetime
from functools import cache
from itertools import repeat
from operator import is_, methodcaller
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no type information shipped
from sqlalchemy import JSON, Boolean, Date, DateTime, String, Table, Uuid
from sqlalchemy import insert as insert_statement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

NULL = "\\N"
COMPACT_JSON = "billfold.compact_json"
"""A text column's ``info`` key: its values are compact JSON (orjson's, with no raw tab, newline or
carriage return, which JSON escapes inside strings and compact JSON has nowhere else), so only their
backslashes need escaping: ``str.replace`` runs ~10 times faster than the general escape's
``str.translate`` on a line's ~800-character answer."""
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
Encoder = Callable[[Any], str]


def escaped(text: str) -> str:
    """``text`` as a field of ``COPY``'s text format."""
    return text.translate(_ESCAPES)


_ESCAPE: Encoder = methodcaller("translate", _ESCAPES)  # escaped() without a Python call per value
_SPECIAL = re.compile(r"[\\\t\n\r]")  # what escaped() changes


def _compact_json(text: str) -> str:
    return text.replace("\\", "\\\\")


def _json(value: Any) -> str:
    return escaped(json.dumps(value))


def _boolean(value: bool) -> str:
    return "t" if value else "f"


def _timestamp(value: datetime) -> str:
    return value.isoformat(" ")


def _uuid(value: uuid.UUID) -> str:
    """An id's 32 hex digits: one format, where ``str`` formats and then cuts and joins five pieces."""
    return f"{value.int:032x}"


def _encoder(table: Table, name: str) -> Encoder:
    """How a value (never ``None``) of column ``name`` is written in ``COPY``'s text format."""
    column = table.c[name]
    if column.info.get(COMPACT_JSON):
        return _compact_json
    kind = column.type
    if isinstance(kind, JSON):
        return _json
    if isinstance(kind, Boolean):
        return _boolean
    if isinstance(kind, DateTime):
        return _timestamp
    if isinstance(kind, Date):
        return date.isoformat
    if isinstance(kind, Uuid):
        return _uuid
    if isinstance(kind, String):  # String and Text (ExactDecimal is a decorator, not a String)
        return _ESCAPE
    return str  # decimals (their exact digits), ids, integers


@cache
def _encoders(table: Table, names: tuple[str, ...]) -> tuple[Encoder, ...]:
    return tuple(_encoder(table, name) for name in names)


def _fields(encode: Encoder, values: Sequence[Any]) -> Iterable[str]:
    """One column's values as text fields, a column at a time, each distinct object encoded once: most
    columns hold one object throughout (``None``, the period's dates, the scope: written once and
    repeated), many a few (a bulk create's products and names, its lines' few distinct amounts: each
    object encoded once, its text repeated), and a column without ``None`` is encoded without a Python
    call per value around the encoder. Writing the 1,000 lines of a bulk create went from 15.8 to 9.5
    ms of CPU per request with the first case (``bench/bulk_profile.py --profile``), and from ~7-8 to
    ~3.5 ms with the others, hex ids and texts left as they are when nothing in them needs escaping."""
    # by identity: comparing a decimal with None costs it two abstract-class checks
    first = values[0] if values else None
    if all(map(is_, values, repeat(first))):  # one object throughout (the period's dates, a scope, None)
        return repeat(NULL if first is None else encode(first), len(values))
    objects = dict(zip(map(id, values), values, strict=True))  # the values are alive: ids stay theirs
    if len(objects) * 4 <= len(values):  # few objects, many times each
        texts = {key: NULL if value is None else encode(value) for key, value in objects.items()}
        return map(texts.__getitem__, map(id, values))
    if any(map(is_, values, repeat(None))):
        return [NULL if value is None else encode(value) for value in values]
    if encode is _ESCAPE and not _SPECIAL.search("".join(values)):  # text with nothing to escape
        return values
    if encode is _compact_json and "\\" not in "".join(values):
        return values
    return map(encode, values)


def copy_text(
    table: Table,
    scalars: dict[str, Any],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    more: dict[str, Sequence[Any]] | None = None,
) -> bytes:
    """``rows`` (values in the order of ``names``), each with the values of ``scalars`` first and those
    of ``more`` (a column's values, one per row) last, as the data of a ``COPY`` in text format."""
    return _copy(table, scalars, names, rows, more or {}, omit_nulls=False)[1]


def copy_data(
    table: Table,
    scalars: dict[str, Any],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    more: dict[str, Sequence[Any]] | None = None,
) -> tuple[list[str], bytes]:
    """The columns a ``COPY`` names and its data (:func:`copy_text`), without the columns that are
    ``NULL`` in every row and have no default (left out, they are ``NULL`` all the same): a plain
    line's price, usage, tax key and adjustment columns, some twenty of a line's thirty-eight, which
    PostgreSQL would otherwise read as a field of every row."""
    return _copy(table, scalars, names, rows, more or {}, omit_nulls=True)


def _copy(
    table: Table,
    scalars: dict[str, Any],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    more: dict[str, Sequence[Any]],
    *,
    omit_nulls: bool,
) -> tuple[list[str], bytes]:
    constant = "".join(
        (NULL if value is None else encode(value)) + "\t"
        for encode, value in zip(_encoders(table, tuple(scalars)), scalars.values(), strict=True)
    )
    columns: list[Sequence[Any]] = [*zip(*rows, strict=True), *more.values()]
    names = [*names, *more]
    if omit_nulls:
        kept = [
            index
            for index, (name, values) in enumerate(zip(names, columns, strict=True))
            if table.c[name].server_default is not None or not all(map(is_, values, repeat(None)))
        ]
        names, columns = [names[index] for index in kept], [columns[index] for index in kept]
    encoders = _encoders(table, tuple(names))
    fields = [_fields(encode, column) for encode, column in zip(encoders, columns, strict=True)]
    lines = map("\t".join, zip(*fields, strict=True))
    return [*scalars, *names], (constant + ("\n" + constant).join(lines) + "\n").encode()


async def _once(data: bytes) -> AsyncIterator[bytes]:
    """``data`` as the driver's ``COPY`` source (a file-like one would be read in a thread pool)."""
    yield data


class _DriverIntegrityError(Exception):
    """The driver's constraint error in the place the ORM's DB-API adapter would put its own (the
    driver's error is its cause, as :func:`billfold.db.errors.unique_violation` expects)."""


async def insert_rows(
    session: AsyncSession,
    table: Table,
    scalars: dict[str, Any],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    more: dict[str, Sequence[Any]] | None = None,
) -> None:
    """Insert ``rows`` (values in the order of ``names``) into ``table``, every row with the values of
    ``scalars`` too, and of ``more`` (a column's values, one per row), in one round trip."""
    if not rows:
        return
    more = more or {}
    keys = (*scalars, *names, *more)
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        constant = tuple(scalars.values())
        rest = list(zip(*more.values(), strict=True)) if more else [()] * len(rows)
        values = [
            dict(zip(keys, (*constant, *row, *extra), strict=True))
            for row, extra in zip(rows, rest, strict=True)
        ]
        await session.execute(insert_statement(table), values)
        return
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    if not driver.is_in_transaction():  # the session opens its transaction with its first statement
        await connection.exec_driver_sql("SELECT 1")
    copied, data = copy_data(table, scalars, names, rows, more)
    try:
        await driver.copy_to_table(table.name, source=_once(data), columns=copied, format="text")
    except asyncpg.IntegrityConstraintViolationError as error:
        cause = _DriverIntegrityError(str(error))
        cause.__cause__ = error
        raise IntegrityError(f"COPY {table.name}", None, cause) from error
