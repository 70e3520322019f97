"""Every query Billfold makes. Each one is scoped by organization, so another tenant's id finds nothing.

:class:`Repository` holds the generic helpers (add, insert, get, page, update and delete a row, and the
held writes of the add-line fast path) and inherits the queries of each concern from its own module:
:mod:`~billfold.db.organization_queries` (organizations, keys, idempotency records, customers and
accounts), :mod:`~billfold.db.catalog_queries` (products, tax categories), :mod:`~billfold.db.line_queries`
(lines and groups), :mod:`~billfold.db.invoice_lifecycle` (issuing, numbering, events, payments, the hosted
page), :mod:`~billfold.db.credit_note_queries` (credit notes and refunds),
:mod:`~billfold.db.credit_queries` (customers' credit ledgers),
:mod:`~billfold.db.webhook_queries` (events, endpoints and deliveries) and :mod:`~billfold.db.invoice_reads`
(a whole invoice's lines for its answers).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Table,
    Text,
    and_,
    bindparam,
    delete,
    exists,
    inspect,
    literal_column,
    select,
    update,
)
from sqlalchemy import cast as cast_
from sqlalchemy import insert as insert_statement
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from billfold.db import driver
from billfold.db import models as m
from billfold.db.bulk_insert import insert_rows
from billfold.db.catalog_queries import CatalogQueries
from billfold.db.credit_note_queries import CreditNoteQueries
from billfold.db.credit_queries import CreditQueries
from billfold.db.invoice_lifecycle import InvoiceLifecycle
from billfold.db.invoice_reads import InvoiceReads
from billfold.db.line_queries import LineQueries, answered_lines, waiting_update_id
from billfold.db.numbering import Contended, LockNeeded
from billfold.db.organization_queries import KeyHolder as KeyHolder
from billfold.db.organization_queries import OrganizationQueries
from billfold.db.statement_cache import built as _built
from billfold.db.webhook_queries import WebhookQueries

T = TypeVar("T", bound=m.Base)


def _held_write(index: int, entry: tuple[Any, ...], only_if: Any = None) -> Any:
    """A held write (see :meth:`Repository.hold_writes`) as a statement whose values are bound
    parameters named ``h<index>_<column>``; ``only_if``: a condition it writes nothing without (a
    guarded statement's, see :meth:`Repository.guard_held`)."""
    kind, table, values, *_ = entry
    columns = {name: bindparam(f"h{index}_{name}", type_=table.c[name].type) for name in values}
    if kind == "insert":
        if only_if is None:
            return insert_statement(table).values(columns)
        selected = select(*(cast_(column, table.c[name].type) for name, column in columns.items()))
        return insert_statement(table).from_select(
            list(columns), selected.where(only_if), include_defaults=False
        )
    statement = update(table).where(table.c.id == bindparam(f"h{index}_row_id", type_=table.c.id.type))
    if "organization_id" in table.c:
        column = table.c.organization_id
        statement = statement.where(column == bindparam(f"h{index}_organization_id", type_=column.type))
    if only_if is not None:
        statement = statement.where(only_if)
    return statement.values(columns)


def _held_shapes_and_params(entries: list[tuple[Any, ...]]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The held writes' shapes (what their statement is built from, and kept under) and their bound
    values (see :func:`_held_write`)."""
    shapes = tuple((kind, table.name, tuple(values)) for kind, table, values, *_ in entries)
    params: dict[str, Any] = {}
    for index, (kind, _, values, *rest) in enumerate(entries):
        params.update({f"h{index}_{name}": value for name, value in values.items()})
        if kind == "update":
            params[f"h{index}_row_id"], params[f"h{index}_organization_id"] = rest
    return shapes, params


@dataclass(frozen=True)
class HeldGuard:
    """The rows an add read without locking them, and their versions as read (``xmin``, ``xmax``):
    the held writes go only if both are still those versions (:meth:`Repository.guard_held`)."""

    organization_id: uuid.UUID
    invoice_id: uuid.UUID
    version: tuple[str, ...]
    group_id: uuid.UUID | None = None


def _seen(grouped: bool) -> Any:
    """A guarded statement's first part (``g_organization_id``, ``g_invoice_id``, ``g_xmin``,
    ``g_xmax``; with ``grouped`` also ``g_group_id``, ``g_group_xmin``, ``g_group_xmax``): the invoice's
    row (and the group's) locked if still the version read, else nothing."""
    invoice = cast(Table, m.Invoice.__table__)
    group = cast(Table, m.LineItemGroup.__table__)

    def unchanged(table: Table, prefix: str) -> list[Any]:
        return [
            cast_(literal_column(f"{table.name}.{column}"), Text)
            == bindparam(f"{prefix}{column}", type_=Text)
            for column in ("xmin", "xmax")
        ]

    statement = select(invoice.c.id).where(
        invoice.c.organization_id == bindparam("g_organization_id", type_=invoice.c.organization_id.type),
        invoice.c.id == bindparam("g_invoice_id", type_=invoice.c.id.type),
        *unchanged(invoice, "g_"),
    )
    if not grouped:
        return statement.with_for_update(of=invoice)
    return statement.join(
        group,
        and_(
            group.c.organization_id == invoice.c.organization_id,
            group.c.invoice_id == invoice.c.id,
            group.c.id == bindparam("g_group_id", type_=group.c.id.type),
            *unchanged(group, "g_group_"),
        ),
    ).with_for_update(of=[invoice, group])


def _guarded(entries: list[tuple[Any, ...]], grouped: bool) -> Any:
    """The held writes of an unlocked add as one statement: ``seen`` (:func:`_seen`), then the waiting
    ``invoice.updated`` refreshed only if ``seen`` found the rows, then every held write only if the
    event was refreshed; the statement's rows: the refreshed event's id (none: nothing was written)."""
    seen = _seen(grouped).cte("seen")
    refreshed = _refresh_waiting().where(exists(select(seen.c.id))).cte("refreshed")
    only_if = exists(select(refreshed.c.id))
    parts = [_held_write(index, entry, only_if).cte(f"held_{index}") for index, entry in enumerate(entries)]
    return select(refreshed.c.id).add_cte(seen, refreshed, *parts)


@dataclass
class Refresh:
    """What :meth:`Repository.refresh_waiting_update` found: whether the invoice's waiting
    ``invoice.updated`` event took the payload (known once the held writes have been sent)."""

    refreshed: bool = False


def _refresh_waiting() -> Any:
    """:meth:`Repository.refresh_waiting_update`'s statement (``r_organization_id``, ``r_invoice_id``,
    ``r_payload``): the invoice's waiting ``invoice.updated`` (:func:`waiting_update_id`: its latest
    event, not picked up by a deliverer) takes the payload; its id returned."""
    event = cast(Table, m.InvoiceEvent.__table__)
    organization = bindparam("r_organization_id", type_=event.c.organization_id.type)
    invoice_id = bindparam("r_invoice_id", type_=event.c.invoice_id.type)
    return (
        update(event)
        .where(
            event.c.organization_id == organization, event.c.id == waiting_update_id(organization, invoice_id)
        )
        .values(payload=bindparam("r_payload", type_=event.c.payload.type))
        .returning(event.c.id)
    )


def _by_id(model: type[m.Base], *, lock: bool) -> Any:
    """A row of ``model`` by ``row_id`` and ``organization_id`` (row-locked with ``lock``)."""
    table = cast(Table, model.__table__)
    statement = select(model).where(
        table.c.id == bindparam("row_id", type_=table.c.id.type),
        table.c.organization_id == bindparam("organization_id", type_=table.c.organization_id.type),
    )
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return statement


@cache
def _column_keys(table: Table) -> tuple[str, ...]:
    return tuple(column.key for column in table.columns)


def _identity(table: Table, value_of: Callable[[str], Any]) -> tuple[str, tuple[Any, ...]]:
    """A held write's slot: the row's table and primary key values (a held UPDATE of a row merges into
    its held INSERT)."""
    return table.name, tuple(value_of(column.key) for column in table.primary_key.columns)


def _changed_columns(row: m.Base) -> dict[str, Any]:
    """The columns changed on a loaded row since it was read (its attributes are named as its columns,
    which ``tests/db/test_write_changes.py`` holds for every model)."""
    state = inspect(row)
    columns = cast(Table, row.__table__).c
    return {key: state.dict[key] for key in state.committed_state if key in columns}


def _settle(row: m.Base) -> None:
    """Once every changed column of a loaded ``row`` is committed on it (its changes are written by a
    statement of the caller's), the row is no longer modified: the session's flush at commit then has
    nothing to look through (a flush that finds nothing to write still costs its bookkeeping)."""
    state = inspect(row)
    if state.modified and not state.committed_state:
        session = state.session
        state._commit_all(state.dict, session.identity_map if session is not None else None)


def model_id(row: m.Base) -> uuid.UUID:
    row_id: uuid.UUID = row.id  # type: ignore[attr-defined]
    return row_id


class Repository(
    OrganizationQueries,
    CatalogQueries,
    LineQueries,
    InvoiceLifecycle,
    CreditNoteQueries,
    CreditQueries,
    WebhookQueries,
    InvoiceReads,
):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._held: dict[tuple[str, Any], Any] | None = None  # see hold_writes
        self._held_refresh: tuple[dict[str, Any], Refresh] | None = None  # see refresh_waiting_update
        self._guard: HeldGuard | None = None  # see guard_held
        self._along = {}  # see organization_queries.take_along

    # -- generic -------------------------------------------------------------------------------

    async def add(self, row: m.Base) -> None:
        self.session.add(row)
        await self.session.flush()

    async def insert(self, row: m.Base) -> None:
        """Insert a fully built row with one Core statement, skipping the ORM's unit-of-work
        bookkeeping (the hot write paths). ``row`` stays a plain, detached object for rendering."""
        table = cast(Table, row.__table__)
        held = row.__dict__  # a new row's values (a column never set is None, as the attribute reads)
        values = {key: held.get(key) for key in _column_keys(table)}
        if self._held is not None:
            self._held[_identity(table, values.__getitem__)] = ("insert", table, values)
            return
        await self.session.execute(insert_statement(table), values)

    async def insert_many(self, rows: Sequence[m.Base]) -> None:
        """Insert fully built rows of one table with one executemany (a bulk create's groups or lines);
        like :meth:`insert`, no unit-of-work bookkeeping."""
        if not rows:
            return
        table = cast(Table, rows[0].__table__)
        keys = [column.key for column in table.columns]
        await self.session.execute(
            insert_statement(table), [{key: getattr(row, key) for key in keys} for row in rows]
        )

    async def insert_values(self, model: type[m.Base], rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows given as column values (every column named) with one executemany: the lines of a
        bulk create, never built as ORM objects."""
        if rows:
            await self.session.execute(insert_statement(cast(Table, model.__table__)), list(rows))

    async def insert_groups(
        self,
        organization_id: uuid.UUID,
        invoice_id: uuid.UUID,
        names: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> None:
        """New groups of one invoice (a bulk create's), each row's values in the order of ``names``, in one
        round trip (:func:`~billfold.db.bulk_insert.insert_rows`: ``COPY`` on PostgreSQL, where an
        executemany binds and runs its statement once per row); every row gets this organization and
        invoice, as :meth:`~billfold.db.line_queries.LineQueries.insert_lines` the lines."""
        scalars = {"organization_id": organization_id, "invoice_id": invoice_id}
        await insert_rows(self.session, cast(Table, m.LineItemGroup.__table__), scalars, names, rows)

    async def write_values(self, row: m.Base, values: dict[str, Any]) -> None:
        """``UPDATE ... WHERE organization_id = row.organization_id AND id = row.id`` with one Core
        statement, and the same values on the loaded ``row`` without marking it dirty (so no second
        UPDATE follows at flush). The organization itself is found by its own id."""
        table = cast(Table, row.__table__)
        for name, value in values.items():
            set_committed_value(row, name, value)
        if self._held is not None:
            self._hold_update(table, row, values)
            return
        statement = update(table).where(table.c.id == model_id(row))
        if "organization_id" in table.c:
            statement = statement.where(table.c.organization_id == row.organization_id)  # type: ignore[attr-defined]
        await self.session.execute(statement, values)

    def take_changes(self, row: m.Base) -> dict[str, Any]:
        """The column values changed on the loaded ``row`` since it was read, committed on the row
        without being written: the caller writes them with a statement of its own (an issue's invoice,
        with its number)."""
        changed = _changed_columns(row)
        for name, value in changed.items():
            set_committed_value(row, name, value)
        _settle(row)
        return changed

    async def write_changes(self, row: m.Base) -> None:
        """The column values changed on the loaded ``row`` since it was read, written as one Core
        :meth:`write_values` (and committed on the row): the same UPDATE the ORM's flush would send,
        without the unit of work's bookkeeping (an issue's invoice)."""
        changed = _changed_columns(row)
        if changed:
            await self.write_values(row, changed)
            _settle(row)

    async def refresh_waiting_update(
        self, organization_id: uuid.UUID, invoice_id: uuid.UUID, payload: dict[str, Any]
    ) -> Refresh:
        """Give ``payload`` to the invoice's latest event if it is an ``invoice.updated`` still waiting
        for its deliverers (the coalescing of :func:`billfold.services.events.invoice_updated`), in one
        statement that also decides whether it is; the outcome says. While writes are held it goes
        with them (on PostgreSQL, as the held statement's last part) and its outcome is known once they
        are sent. Call it with the invoice's row locked: every writer of the invoice's events holds it."""
        outcome = Refresh()
        params = {"r_organization_id": organization_id, "r_invoice_id": invoice_id, "r_payload": payload}
        if self._held is not None and self._held_refresh is None:
            self._held_refresh = (params, outcome)
            return outcome
        found = await self.session.execute(_built("refresh_waiting", _refresh_waiting), params)
        outcome.refreshed = found.first() is not None
        return outcome

    # -- held writes (the add-line fast path) ----------------------------------------------------

    def hold_writes(self, organization_id: uuid.UUID) -> None:
        """From now on, :meth:`insert` and :meth:`write_values` of ``organization_id``'s rows are held
        (the rows take their values at once) until :meth:`write_held`, which sends them together: on
        PostgreSQL as one statement. Only for a write that reads nothing after it starts holding (a
        read would not see the held writes): adding a line, once everything it needs has been read."""
        del organization_id  # every held write names its row's organization
        if self._held is None:
            self._held = {}

    def keep_answer(self, line: m.LineItem, answer: Callable[[], str]) -> bool:
        """Write ``answer()`` (the line's native answer as ``line_items.answer`` keeps it, see migrations
        0014 and 0018) with ``line``'s held insert, so the database's trigger need not write it: on
        PostgreSQL, when the line's insert is still held. False (nothing done, nothing rendered)
        otherwise."""
        if self._held is None or driver.bound(self.session).dialect.name != "postgresql":
            return False
        table = cast(Table, m.LineItem.__table__)
        slot = _identity(table, partial(getattr, line))
        held = self._held.get(slot)
        if held is None or held[0] != "insert":
            return False
        self._held[slot] = ("insert", answered_lines(), {**held[2], "answer": answer()})
        return True

    def guard_held(self, guard: HeldGuard) -> None:
        """The held writes go only if the invoice's row (and the group's) is still the version read and
        the invoice's waiting ``invoice.updated`` is refreshed with them: an add that read without
        locking (PostgreSQL, in autocommit mode, see :func:`billfold.services.line_items.create_line`).
        :meth:`write_held` then sends them as one statement that locks those rows first, and raises
        :class:`LockNeeded` when it wrote nothing (a row changed, or the event went out meanwhile)."""
        self._guard = guard

    def _hold_update(self, table: Table, row: m.Base, values: dict[str, Any]) -> None:
        """Hold an UPDATE, merged into a held write of the same row: PostgreSQL applies only one change
        per row in one statement, and an UPDATE would not see a row INSERTed by the same statement."""
        assert self._held is not None
        slot = _identity(table, partial(getattr, row))
        held = self._held.get(slot)
        if held is None:
            organization_id = getattr(row, "organization_id", None)
            self._held[slot] = ("update", table, dict(values), model_id(row), organization_id)
        else:  # the same row's INSERT or UPDATE takes these values too
            held[2].update(values)

    async def write_held(self, organization_id: uuid.UUID) -> None:
        """Send the held writes and stop holding: on PostgreSQL one statement (every write but the last a
        data-modifying CTE of it: rows of different tables or ids, none reading another's), elsewhere one
        statement each, in the order they were held. Each shape of statement is built once."""
        held, self._held = self._held, None
        refresh, self._held_refresh = self._held_refresh, None
        guard, self._guard = self._guard, None
        del organization_id  # every held write names its row's organization
        entries = list((held or {}).values())
        if guard is not None:
            await self._write_guarded(guard, entries, refresh)
            return
        shapes, params = _held_shapes_and_params(entries)
        if refresh is not None:
            params.update(refresh[0])
        if driver.bound(self.session).dialect.name != "postgresql" or not entries:
            for index, entry in enumerate(entries):
                statement = _built(("held", index, shapes[index]), partial(_held_write, index, entry))
                prefix = f"h{index}_"
                await self.session.execute(
                    statement, {name: value for name, value in params.items() if name.startswith(prefix)}
                )
            if refresh is not None:
                found = await self.session.execute(_built("refresh_waiting", _refresh_waiting), refresh[0])
                refresh[1].refreshed = found.first() is not None
            return

        def build() -> Any:
            parts = [_held_write(index, entry) for index, entry in enumerate(entries)]
            if refresh is not None:  # last: the statement's rows are its RETURNING
                parts.append(_refresh_waiting())
            *first, last = parts
            return last.add_cte(*(item.cte(f"held_{index}") for index, item in enumerate(first)))

        written = await driver.rows(self.session, ("held", shapes, refresh is not None), build, params)
        if refresh is not None:
            refresh[1].refreshed = bool(written)

    async def _write_guarded(
        self,
        guard: HeldGuard,
        entries: list[tuple[Any, ...]],
        refresh: tuple[dict[str, Any], Refresh] | None,
    ) -> None:
        """:meth:`write_held` under ``guard`` (:meth:`guard_held`): one statement, PostgreSQL only."""
        if refresh is None or not entries or driver.bound(self.session).dialect.name != "postgresql":
            raise LockNeeded  # nothing sent: only a waiting event's refresh can be guarded so
        shapes, params = _held_shapes_and_params(entries)
        params.update(refresh[0], g_organization_id=guard.organization_id, g_invoice_id=guard.invoice_id)
        params["g_xmin"], params["g_xmax"], *group_version = guard.version
        grouped = guard.group_id is not None
        if grouped:
            params["g_group_id"] = guard.group_id
            params["g_group_xmin"], params["g_group_xmax"] = group_version
        written = await driver.rows(
            self.session, ("guarded", shapes, grouped), partial(_guarded, entries, grouped), params
        )
        if not written:
            raise Contended  # the invoice (or group) changed, or its waiting event went out, meanwhile
        refresh[1].refreshed = True

    async def get(self, model: type[T], organization_id: uuid.UUID, row_id: uuid.UUID) -> T | None:
        statement = _built(("get", model), partial(_by_id, model, lock=False))
        params = {"row_id": row_id, "organization_id": organization_id}
        return cast(T | None, (await self.session.execute(statement, params)).scalar_one_or_none())

    async def get_for_update(self, model: type[T], organization_id: uuid.UUID, row_id: uuid.UUID) -> T | None:
        """Load and row-lock (PostgreSQL ``FOR UPDATE``; SQLite's write lock is taken at BEGIN)."""
        statement = _built(("get_for_update", model), partial(_by_id, model, lock=True))
        params = {"row_id": row_id, "organization_id": organization_id}
        return cast(T | None, (await self.session.execute(statement, params)).scalar_one_or_none())

    async def page(
        self,
        model: type[T],
        organization_id: uuid.UUID,
        *,
        limit: int,
        after: uuid.UUID | None,
        filters: Sequence[Any] = (),
    ) -> tuple[list[T], bool]:
        """Newest first, by id (ids are time-ordered). Returns the rows and whether more follow."""
        column = model.id  # type: ignore[attr-defined]
        statement = select(model).where(
            model.organization_id == organization_id,  # type: ignore[attr-defined]
            *filters,
        )
        if after is not None:
            statement = statement.where(column < after)
        statement = statement.order_by(column.desc()).limit(limit + 1)
        rows = list((await self.session.execute(statement)).scalars())
        return rows[:limit], len(rows) > limit

    async def update_row(
        self, model: type[T], organization_id: uuid.UUID, row_id: uuid.UUID, values: dict[str, Any]
    ) -> None:
        statement = update(model).where(
            model.organization_id == organization_id,  # type: ignore[attr-defined]
            model.id == row_id,  # type: ignore[attr-defined]
        )
        await self.session.execute(statement.values(**values))

    async def delete_row(self, model: type[T], organization_id: uuid.UUID, row_id: uuid.UUID) -> None:
        statement = delete(model).where(
            model.organization_id == organization_id,  # type: ignore[attr-defined]
            model.id == row_id,  # type: ignore[attr-defined]
        )
        await self.session.execute(statement)
