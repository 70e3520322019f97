"""Numbers drawn as a transaction commits: the organization's event sequence and an invoice's number.

Both come from hot rows: ``event_counters`` (one per organization: every write with events advances it)
and ``number_counters`` (one per numbering sequence: every issue of that series advances it). Each is
advanced by the transaction that uses the numbers, so a rollback leaves no gap and two transactions never
share a number, and its row lock is held until that transaction ends. So the counters are the last thing
a transaction touches: on PostgreSQL, one statement (:func:`draw_postgresql`) advances the invoice's
counter (when the transaction issues one), renders its number and writes it on the invoice, advances the
event counter and inserts the numbered events and their webhook deliveries; COMMIT follows at once. A
lock is held for that one statement and the commit, and a transaction never waits for a lock while
holding one of them (the number counter is always taken before the event counter, in that statement).

Until the number is drawn, whatever shows it (the invoice, its events, a credit reason) carries the
issue's placeholder (:func:`billfold.core.numbering.placeholder`); the same statement replaces it. On
SQLite (one writer at a time, ``BEGIN IMMEDIATE``) the same happens in a few plain statements.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import orjson
from sqlalchemy import Table, bindparam, func, or_, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from billfold.core.numbering import render_pieces, with_number
from billfold.db import driver
from billfold.db import models as m
from billfold.db.ids import new_id

COUNTERS = cast(Table, m.NumberCounter.__table__)
INVOICES = cast(Table, m.Invoice.__table__)


class LockNeeded(Exception):
    """An issue read without locking the invoice (:attr:`NumberClaim.version`) cannot finish so: the
    invoice's row changed or was locked since it was read (the numbering statement found it so, and
    wrote nothing), or the issue needs writes besides that statement. It is begun again, locking."""


class Contended(LockNeeded):
    """:class:`LockNeeded` because what was read without a lock changed before the write (another
    write to the same invoice came first): the write found it so and wrote nothing."""


@dataclass(eq=False)
class NumberClaim:
    """An invoice's number, to be drawn from its sequence's counter when the transaction commits.

    ``pieces`` is the number's format (:func:`billfold.core.numbering.number_pieces`); ``marker`` the
    placeholder the transaction wrote instead of the number (on the invoice, and in ``patches``: rows
    and text columns that show it). The counter refuses an issue date before its last one: then
    ``refused(last_issue_date)`` is raised and the transaction rolls back. ``number`` is set once drawn.
    """

    organization_id: uuid.UUID
    issuing_account_id: uuid.UUID
    series: str
    key: str
    day: date
    pieces: tuple[str | int, ...]
    invoice_id: uuid.UUID
    marker: str
    refused: Callable[[date | None], Exception]
    patches: list[tuple[type[m.Base], uuid.UUID, str]] = field(default_factory=list)
    version: tuple[str, str] | None = None
    """The invoice's row as it was read without a lock (its ``xmin`` and ``xmax``): the numbering
    statement locks the row first and draws nothing unless the row is still that version, neither
    changed nor locked by anyone since (every change to a draft locks its row). ``None``: the
    transaction holds the row's lock already."""
    number: str | None = None
    invoice_values: dict[str, Any] = field(default_factory=dict)
    """The invoice's other changed columns, written by the statement that writes its number."""


def _uuid_text(value: Any) -> str:
    """The driver's own UUID type (ids read back by asyncpg) as text; anything else is not JSON."""
    if type(value).__name__ == "UUID":
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _json(value: Any) -> str:
    return orjson.dumps(value, default=_uuid_text).decode()


def _event_record(row: m.InvoiceEvent, ordinal: int, target: uuid.UUID | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "ord": ordinal,
        "target": target,
        "invoice_id": row.invoice_id,
        "resource_type": row.resource_type,
        "resource_id": row.resource_id,
        "type": row.type,
        "from_status": row.from_status,
        "to_status": row.to_status,
        "api_key_id": row.api_key_id,
        "data": row.data,
        "payload": row.payload,
        "created_at": row.created_at,
    }


def _claim_sql(claim: NumberClaim, params: dict[str, Any]) -> list[str]:
    """The statement's parts that draw the number and write it where the placeholder is."""
    params.update(
        counter_id=new_id(),
        issuing_account_id=claim.issuing_account_id,
        series=claim.series,
        sequence_key=claim.key,
        day=claim.day,
        invoice_id=claim.invoice_id,
        marker=claim.marker,
    )
    rendered = []
    for index, piece in enumerate(claim.pieces):
        if isinstance(piece, str):
            params[f"piece_{index}"] = piece
            rendered.append(f"CAST(:piece_{index} AS text)")
        else:
            value = "num.last_value::text"
            rendered.append(f"lpad({value}, greatest({int(piece)}, length({value})), '0')")
    settings = ["invoice_number = drawn.number"]
    for name in claim.invoice_values:
        if name != "invoice_number":
            settings.append(f"{name} = :invoice_{name}")
            params[f"invoice_{name}"] = claim.invoice_values[name]
    values = (
        "CAST(:counter_id AS uuid), CAST(:organization_id AS uuid), CAST(:issuing_account_id AS uuid),"
        " CAST(:series AS text), CAST(:sequence_key AS text), 1, CAST(:day AS date)"
    )
    parts = []
    source = f"VALUES ({values})"
    if claim.version is not None:
        # the invoice's row, locked before the counter, if it is still the version read
        params["seen_xmin"], params["seen_xmax"] = claim.version
        parts.append(
            "seen AS (SELECT invoices.id FROM invoices WHERE invoices.organization_id ="
            " CAST(:organization_id AS uuid) AND invoices.id = CAST(:invoice_id AS uuid)"
            " AND CAST(invoices.xmin AS text) = CAST(:seen_xmin AS text)"
            " AND CAST(invoices.xmax AS text) = CAST(:seen_xmax AS text) FOR UPDATE)"
        )
        source = f"SELECT {values} FROM seen"
    parts += [
        "num AS (INSERT INTO number_counters AS c"
        " (id, organization_id, issuing_account_id, series, prefix, last_value, last_issue_date)"
        f" {source}"
        " ON CONFLICT (organization_id, issuing_account_id, series, prefix) DO UPDATE"
        " SET last_value = c.last_value + 1, last_issue_date = excluded.last_issue_date"
        " WHERE c.organization_id = excluded.organization_id"
        " AND (c.last_issue_date IS NULL OR c.last_issue_date <= excluded.last_issue_date)"
        " RETURNING c.last_value)",
        f"drawn AS (SELECT num.last_value, concat({', '.join(rendered)}) AS number FROM num)",
        f"numbered AS (UPDATE invoices SET {', '.join(settings)} FROM drawn"
        " WHERE invoices.organization_id = CAST(:organization_id AS uuid)"
        " AND invoices.id = CAST(:invoice_id AS uuid) RETURNING invoices.id)",
    ]
    for index, (model, row_id, column) in enumerate(claim.patches):
        table = cast(Table, model.__table__).name
        params[f"patch_{index}"] = row_id
        parts.append(
            f"patch_{index} AS (UPDATE {table} SET {column} = replace({column}, :marker, drawn.number)"
            f" FROM drawn WHERE {table}.organization_id = CAST(:organization_id AS uuid)"
            f" AND {table}.id = CAST(:patch_{index} AS uuid) RETURNING {table}.id)"
        )
    return parts


_EVENT_COLUMNS = (
    "id uuid, ord bigint, target uuid, invoice_id uuid, resource_type text, resource_id uuid, type text,"
    " from_status text, to_status text, api_key_id uuid, data json, payload json, created_at timestamp"
)
_DELIVERY_COLUMNS = (
    "(id, organization_id, endpoint_id, event_id, event_sequence, ordering_key, status, attempts,"
    " next_attempt_at, lease_until, lease_owner, last_status_code, last_error, delivered_at, created_at,"
    " updated_at)"
)
# A new delivery's id: time-ordered as :func:`billfold.db.ids.new_id` makes them (``:id_prefix``, the
# first 15 characters of one, gives the millisecond and the version), random after.
_DELIVERY_ID = "CAST(overlay(CAST(gen_random_uuid() AS text) placing :id_prefix from 1 for 15) AS uuid)"
_PENDING = (
    "'pending', 0, e.created_at, CAST(NULL AS timestamp), CAST(NULL AS text), CAST(NULL AS integer),"
    " CAST(NULL AS text), CAST(NULL AS timestamp), e.created_at, e.created_at"
)


def _events_sql(claim: NumberClaim | None, params: dict[str, Any]) -> list[str]:
    """The parts that advance the event counter, insert the numbered events, and fan them out: one
    pending delivery per event and enabled endpoint subscribed to its type (``*``: every type), ordered
    by the event's invoice (else its resource); an event with a ``target`` (a test) goes to that
    endpoint alone, as its own ordering key. The endpoints are read by this statement, at commit."""
    source = "CAST(:events AS json)"
    if claim is not None:
        # the number, escaped as inside a JSON string, in place of the placeholder
        escaped = "(SELECT substr(to_json(number)::text, 2, length(to_json(number)::text) - 2) FROM drawn)"
        source = f"CAST(replace(CAST(:events AS text), :marker, {escaped}) AS json)"
    params["id_prefix"] = str(new_id())[:15]
    return [
        f"ev AS MATERIALIZED (SELECT * FROM json_to_recordset({source}) AS e({_EVENT_COLUMNS}))",
        "seq AS (INSERT INTO event_counters AS ec (organization_id, last_value)"
        " SELECT CAST(:organization_id AS uuid), CAST(:event_count AS bigint)"
        + (" FROM drawn" if claim is not None else "")
        + " ON CONFLICT (organization_id) DO UPDATE SET last_value = ec.last_value + excluded.last_value"
        " WHERE ec.organization_id = excluded.organization_id"
        " RETURNING ec.last_value - CAST(:event_count AS bigint) + 1 AS base)",
        "written AS (INSERT INTO invoice_events (id, organization_id, sequence, invoice_id, resource_type,"
        " resource_id, type, from_status, to_status, api_key_id, data, payload, created_at)"
        " SELECT e.id, CAST(:organization_id AS uuid), seq.base + e.ord, e.invoice_id, e.resource_type,"
        " e.resource_id, e.type, e.from_status, e.to_status, e.api_key_id, e.data, e.payload, e.created_at"
        " FROM seq, ev AS e RETURNING invoice_events.id)",
        f"sent AS (INSERT INTO webhook_deliveries {_DELIVERY_COLUMNS}"
        f" SELECT {_DELIVERY_ID}, CAST(:organization_id AS uuid), w.id, e.id, seq.base + e.ord,"
        f" coalesce(e.invoice_id, e.resource_id), {_PENDING}"
        " FROM seq, ev AS e JOIN webhook_endpoints AS w"
        " ON w.organization_id = CAST(:organization_id AS uuid) AND w.status = 'enabled'"
        " AND EXISTS (SELECT FROM json_array_elements_text(w.enabled_events) AS s(name)"
        " WHERE s.name = '*' OR s.name = e.type)"
        " WHERE e.target IS NULL"
        f" UNION ALL SELECT {_DELIVERY_ID}, CAST(:organization_id AS uuid), e.target, e.id,"
        f" seq.base + e.ord, e.id, {_PENDING}"
        " FROM seq, ev AS e WHERE e.target IS NOT NULL"
        " RETURNING webhook_deliveries.id)",
    ]


async def draw_postgresql(
    session: AsyncSession,
    organization_id: uuid.UUID,
    rows: Sequence[m.InvoiceEvent],
    targets: dict[uuid.UUID, uuid.UUID],
    claim: NumberClaim | None,
) -> None:
    """One statement: the invoice's number (``claim``), then the organization's events ``rows``
    numbered in order, with their webhook deliveries (``targets``: the one endpoint of an event that
    goes to one only)."""
    params: dict[str, Any] = {"organization_id": organization_id}
    parts = _claim_sql(claim, params) if claim is not None else []
    columns = []
    if claim is not None:
        columns += ["drawn.last_value", "drawn.number"]
    if rows:
        params["event_count"] = len(rows)
        params["events"] = _json([_event_record(row, i, targets.get(row.id)) for i, row in enumerate(rows)])
        parts += _events_sql(claim, params)
        columns.append("seq.base")
    sources = (["drawn"] if claim is not None else []) + (["seq"] if rows else [])
    statement = f"WITH {', '.join(parts)} SELECT {', '.join(columns)} FROM {', '.join(sources)}"
    changed = tuple(
        name for name in (claim.invoice_values if claim is not None else ()) if name != "invoice_number"
    )

    def build() -> Any:  # only when the statement is not kept yet
        typed = [bindparam(f"invoice_{name}", type_=INVOICES.c[name].type) for name in changed]
        return text(statement).bindparams(*typed)

    found = await driver.rows(session, ("draw", statement, changed), build, params)
    result = found[0] if found else None
    if result is None:
        assert claim is not None  # only the number's counter can refuse
        if claim.version is not None:  # changed since read, or refused: the locking issue tells which
            raise LockNeeded
        raise claim.refused(await _last_issue_date(session, claim))
    if claim is not None:
        claim.number = result[1]
    if rows:
        base: int = result[-1]
        for ordinal, row in enumerate(rows):
            row.sequence = base + ordinal


async def draw_sqlite(session: AsyncSession, claim: NumberClaim, rows: Sequence[m.InvoiceEvent]) -> None:
    """The invoice's number on SQLite (the transaction already holds the database's write lock): advance
    the counter, write the number, replace the placeholder in ``patches`` and in the events ``rows``."""
    values = sqlite_insert(COUNTERS).values(
        id=new_id(),
        organization_id=claim.organization_id,
        issuing_account_id=claim.issuing_account_id,
        series=claim.series,
        prefix=claim.key,
        last_value=1,
        last_issue_date=claim.day,
    )
    advance = values.on_conflict_do_update(
        index_elements=["organization_id", "issuing_account_id", "series", "prefix"],
        set_={"last_value": COUNTERS.c.last_value + 1, "last_issue_date": values.excluded.last_issue_date},
        where=or_(
            COUNTERS.c.last_issue_date.is_(None),
            COUNTERS.c.last_issue_date <= values.excluded.last_issue_date,
        ),
    ).returning(COUNTERS.c.last_value)
    value = (await session.execute(advance)).scalar_one_or_none()
    if value is None:
        raise claim.refused(await _last_issue_date(session, claim))
    number = claim.number = render_pieces(claim.pieces, value)
    await session.execute(
        update(INVOICES)
        .where(INVOICES.c.organization_id == claim.organization_id, INVOICES.c.id == claim.invoice_id)
        .values({**claim.invoice_values, "invoice_number": number})
    )
    for model, row_id, column in claim.patches:
        table = cast(Table, model.__table__)
        await session.execute(
            update(table)
            .where(table.c.organization_id == claim.organization_id, table.c.id == row_id)
            .values({column: func.replace(table.c[column], claim.marker, number)})
        )
    for row in rows:
        row.data = with_number(row.data, claim.marker, number)
        row.payload = with_number(row.payload, claim.marker, number)


async def _last_issue_date(session: AsyncSession, claim: NumberClaim) -> date | None:
    statement = select(COUNTERS.c.last_issue_date).where(
        COUNTERS.c.organization_id == claim.organization_id,
        COUNTERS.c.issuing_account_id == claim.issuing_account_id,
        COUNTERS.c.series == claim.series,
        COUNTERS.c.prefix == claim.key,
    )
    last: date | None = (await session.execute(statement)).scalar_one_or_none()
    return last
