"""Hot statements sent on the driver's own connection, beneath SQLAlchemy's per-statement execution.

On PostgreSQL a few statements that every write or every issue sends (the caller's key with its
idempotency record, an add's held writes, an issue's number) go straight to asyncpg, inside the
session's own transaction: SQLAlchemy compiles each once per process (its SQL, the order of its
parameters, its types' conversions both ways) and every execution is then one asyncpg call, without the
session's and the engine's per-statement bookkeeping (measured with ``bench/add_floor.py``: ~0.3-0.4 ms
of server CPU a statement). What the engine would do around a statement still happens: the transaction
is begun first if it is not yet, the engine's ``before_cursor_execute`` listeners see the statement (the
tests' statement checks see every statement), and a database error is raised as SQLAlchemy's own (a
unique violation is an :class:`~sqlalchemy.exc.IntegrityError` naming its constraint). A unit of work
in autocommit mode has no transaction: its statements go on a connection of the pool held for them
(:func:`send_on_pooled_connection`) until its session takes one of its own.

Elsewhere (SQLite) the same statement goes through the session.

A statement that reads whole rows of a model (:func:`columns_of`) makes them the session's own objects
with :func:`persistent` (:func:`split` for a row of several), as the ORM's loading would with
``populate_existing``: the hot reads that lock an invoice (an add's, an issue's) cost no ORM loading, and
what the rest of the transaction does with the objects (change, flush, refresh) is unchanged.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NoReturn, TypeVar, cast

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, ResourceClosedError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.util import greenlet_spawn

_INFO_KEY = "billfold_driver"
_POOLED_KEY = "billfold_driver_pool"
_HELD_KEY = "billfold_driver_held"  # (adapter, the pool's connection) held for the driver's statements
_CONNECTED_KEY = "billfold_session_connected"  # a PooledSession has taken a connection of its own
_T = TypeVar("_T")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the bound parameters, in the order of $1, $2...
    constants: dict[str, Any]  # the values of those the statement itself gives
    binds: tuple[tuple[int, Callable[[Any], Any]], ...]  # (parameter's place, conversion), those with one
    types: tuple[Any, ...]  # the SQLAlchemy types of its columns
    row: Any  # the rows' type: a named tuple of the statement's columns


@dataclass
class _Entry:
    statement: Any
    compiled: _Compiled | None = None  # compiled for PostgreSQL at its first execution there
    described: bool = False  # its columns' conversions known (asked of PostgreSQL once)
    # its columns' conversions (None: the driver's values are SQLAlchemy's as they are)
    results: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None  # (column's place, conversion)


# The statements, least recently used first. Bounded: a statement's shape can follow what a client
# stored (an issuing account's number format shapes the numbering statement), as SQLAlchemy bounds its
# own compiled cache.
CACHE_SIZE = 500
_ENTRIES: OrderedDict[Any, _Entry] = OrderedDict()


def _entry(name: Any, build: Callable[[], Any]) -> _Entry:
    found = _ENTRIES.get(name)
    if found is None:
        found = _ENTRIES[name] = _Entry(build())
        while len(_ENTRIES) > CACHE_SIZE:
            _ENTRIES.popitem(last=False)
    else:
        _ENTRIES.move_to_end(name)
    return found


def _compile(statement: Any, dialect: Any) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.insert_prefetch or compiled.update_prefetch:
        # a value the execution context would add (an expanding IN, a column's Python-side default)
        raise ValueError("a driver statement names every value it binds")
    names = tuple(compiled.positiontup or ())
    # a literal of the statement (``status != 'pending'``) is a bound parameter with its value
    constants = {
        name: parameter.effective_value
        for name, parameter in ((name, compiled.binds[name]) for name in names)
        if not parameter.required
    }
    processors = compiled._bind_processors
    binds = tuple(
        (place, process) for place, process in enumerate(processors.get(name) for name in names) if process
    )
    columns = compiled._result_columns
    row: Any = None
    if columns:
        row = namedtuple("Row", [entry[0] for entry in columns], rename=True)  # type: ignore[misc,no-redef]
    types = tuple(entry[3] for entry in columns)
    return _Compiled(compiled.string, names, constants, binds, types, row)


async def _result_processors(connection: Any, compiled: _Compiled, dialect: Any) -> Any:
    """The conversions of the statement's columns, as SQLAlchemy makes them from the types PostgreSQL
    describes them with (asked once per statement and process)."""
    described = (await connection.prepare(compiled.sql)).get_attributes()
    processors = (
        type_._cached_result_processor(dialect, attribute.type.oid)
        for type_, attribute in zip(compiled.types, described, strict=True)
    )
    # only the columns that have one (a wide row's most need none)
    converted = tuple((place, process) for place, process in enumerate(processors) if process is not None)
    return converted or None


def bound(session: AsyncSession) -> Engine | Connection:
    """The engine the session is bound to, as ``session.get_bind()`` finds it, without its search (every
    session here is made with one bind): its ``dialect`` and its listeners (``dispatch``)."""
    bind = session.bind
    return session.get_bind() if bind is None else bind.sync_engine


class PooledSession(Session):
    """The session of an autocommit unit of work (:func:`send_on_pooled_connection`): before it takes a
    connection of its own (a query or flush of its own), it gives back the pool's connection the
    driver's statements hold, so a unit of work never holds two of the pool's connections at once."""

    # SQLAlchemy's one place where a session takes its connection (every query, flush and
    # ``connection()`` passes here): an internal hook, held to its behaviour by
    # tests/services/test_line_items.py (an unlocked add or issue holds one connection at a time).
    def _connection_for_bind(self, engine: Any, execution_options: Any = None, **kw: Any) -> Connection:
        self.info[_CONNECTED_KEY] = True
        held = self.info.pop(_HELD_KEY, None)
        if held is not None:
            _return(*held)  # (the session's work runs in a greenlet: the pool's return may await)
        return super()._connection_for_bind(engine, execution_options, **kw)


def send_on_pooled_connection(session: AsyncSession, engine: AsyncEngine) -> None:
    """Send the driver statements of ``session`` (made with ``sync_session_class=PooledSession``) on a
    connection of ``engine``'s pool taken for them, in autocommit mode (each statement commits on its
    own), while the session has no connection of its own: an autocommit unit of work (see
    :class:`billfold.db.uow.UnitOfWork`) has no transaction to keep on one, and the session's
    connection costs a request ~90 us of server CPU (its transaction's state, the engine's
    ``Connection``, the isolation level set and reset) against ~20 us for the pool's own. Once the
    session takes a connection (a query of its own), the driver's is given back and the driver's
    statements go on the session's. :func:`release` gives back what is still held at the end."""
    if not isinstance(session.sync_session, PooledSession):
        raise TypeError("the session gives the pool's connection back only as a PooledSession")
    session.info[_POOLED_KEY] = engine


async def release(session: AsyncSession) -> None:
    """Give back the pool's connection still held for the driver (:func:`send_on_pooled_connection`)."""
    held = session.info.pop(_HELD_KEY, None)
    if held is not None:
        await greenlet_spawn(_return, *held)


def _return(adapter: Any, pooled: Any) -> None:
    try:
        adapter.autocommit = False  # the connection's own setting again
    finally:
        pooled.close()  # the pool's reset (a rollback: none is open) and return


async def _taken(session: AsyncSession) -> tuple[Any, Any]:
    """The adapter to send a statement on, and the connection the engine's listeners are told of."""
    info = session.info
    pooled_from = info.get(_POOLED_KEY)
    if pooled_from is not None and _CONNECTED_KEY not in info:
        held = info.get(_HELD_KEY)
        if held is None:
            pooled = await pooled_from.raw_connection()
            adapter = pooled.dbapi_connection
            adapter.autocommit = True
            held = info[_HELD_KEY] = (adapter, pooled)
        return held[0], None
    adapter = await _adapter(session)
    return adapter, info[_INFO_KEY][2]


async def _adapter(session: AsyncSession) -> Any:
    """The SQLAlchemy adapter of the asyncpg connection of the session's transaction (kept on the
    session for the rest of that transaction)."""
    transaction = session.sync_session.get_transaction()
    kept = session.info.get(_INFO_KEY)
    if kept is not None and transaction is not None and kept[0] is transaction:
        return kept[1]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    adapter = raw.dbapi_connection
    session.info[_INFO_KEY] = (session.sync_session.get_transaction(), adapter, connection.sync_connection)
    return adapter


def _raise(adapter: Any, dialect: Any, sql: str, args: list[Any], error: Exception) -> NoReturn:
    """``error`` (asyncpg's) as SQLAlchemy's execution raises it: the adapter's DB-API error, wrapped
    in the matching :class:`~sqlalchemy.exc.DBAPIError` (``IntegrityError``...)."""
    try:
        adapter._handle_exception(error)
    except Exception as translated:
        if not isinstance(translated, dialect.loaded_dbapi.Error):
            raise
        raise DBAPIError.instance(
            sql, args, translated, dialect.loaded_dbapi.Error, dialect=dialect
        ) from translated
    raise error  # pragma: no cover - _handle_exception always raises


async def commit(session: AsyncSession) -> bool:
    """Commit the session's transaction on the driver's connection (True) when the driver has sent
    statements in it and the session holds nothing to flush: one asyncpg call, without the session's
    and the engine's commit bookkeeping. False (nothing done): the session commits itself
    (``session.commit()``), as it does on SQLite.

    The session still counts its transaction as open; ending it (``close``, ``commit``, ``rollback``)
    then finds nothing to end on the connection, and a statement sent meanwhile begins the next one, as
    after the session's own commit."""
    sync, info = session.sync_session, session.info
    if _POOLED_KEY in info and _CONNECTED_KEY not in info and sync._is_clean():
        # autocommit: each statement committed on its own; the listeners still hear of the end
        for listener in bound(session).dispatch.commit:
            listener(None)
        return True
    transaction = sync.get_transaction()
    kept = info.get(_INFO_KEY)
    if kept is None or transaction is None or kept[0] is not transaction or transaction.nested:
        return False
    if not sync._is_clean():
        return False
    adapter = kept[1]
    dispatch = bound(session).dispatch
    if dispatch.commit:  # as the engine's commit tells its listeners
        for listener in dispatch.commit:
            listener(kept[2])
    async with adapter._execute_mutex:
        if adapter._transaction is not None:
            try:
                await adapter._call_and_discard(adapter._transaction.commit)
            except Exception as error:
                _raise(adapter, bound(session).dialect, "COMMIT", [], error)
    return True


async def rows(
    session: AsyncSession, name: Any, build: Callable[[], Any], params: Mapping[str, Any]
) -> list[Any]:
    """The rows of the statement ``name`` (built by ``build`` when it is not kept) executed with
    ``params``, in the session's transaction: on PostgreSQL on the driver's connection, elsewhere through
    the session. Each row reads its columns by name (``row.organization_id``) or position."""
    entry = _entry(name, build)
    dialect = bound(session).dialect
    if dialect.name != "postgresql":
        result = await session.execute(entry.statement, dict(params))
        try:
            return list(result.all())
        except ResourceClosedError:  # a statement that returns no rows
            return []
    compiled = entry.compiled
    if compiled is None:
        compiled = entry.compiled = _compile(entry.statement, dialect)
    constants = compiled.constants
    args = [params[key] if key in params else constants[key] for key in compiled.names]
    for place, process in compiled.binds:
        args[place] = process(args[place])
    adapter, told = await _taken(session)
    dispatch = bound(session).dispatch
    if dispatch.before_cursor_execute:
        for listener in dispatch.before_cursor_execute:
            listener(told, None, compiled.sql, tuple(args), None, False)
    async with adapter._execute_mutex:
        if adapter._transaction is None:
            await adapter._start_transaction()
        try:
            if compiled.row is not None and not entry.described:
                entry.results = await _result_processors(adapter._connection, compiled, dialect)
                entry.described = True
            records = await adapter._connection.fetch(compiled.sql, *args)
        except Exception as error:
            _raise(adapter, dialect, compiled.sql, args, error)
    if compiled.row is None:  # a text statement: its columns by position, as the driver gives them
        return [tuple(record) for record in records]
    return _made(entry, compiled, records)


def _made(entry: _Entry, compiled: _Compiled, records: Sequence[Sequence[Any]]) -> list[Any]:
    """The statement's rows of the driver's ``records``: its columns converted, its row type."""
    make = compiled.row._make
    converted = entry.results
    if converted is None:
        return [make(record) for record in records]
    made = []
    for record in records:
        values = list(record)
        for place, process in converted:
            values[place] = process(values[place])
        made.append(make(values))
    return made


async def rows_like(
    session: AsyncSession, name: Any, build: Callable[[], Any], records: Sequence[Sequence[Any]]
) -> list[Any]:
    """``records`` (PostgreSQL: the driver's values, e.g. the anonymous records of an ``array_agg(ROW(...))``
    with the statement's columns in its order) as :func:`rows` makes the rows of the statement ``name``:
    the same conversions, the same row type."""
    entry = _entry(name, build)
    dialect = bound(session).dialect
    if dialect.name != "postgresql":
        raise RuntimeError("rows_like converts the PostgreSQL driver's records")
    compiled = entry.compiled
    if compiled is None:
        compiled = entry.compiled = _compile(entry.statement, dialect)
    if compiled.row is None:
        raise ValueError("rows_like needs a statement of named columns")
    if not entry.described:
        adapter, _ = await _taken(session)
        async with adapter._execute_mutex:
            entry.results = await _result_processors(adapter._connection, compiled, dialect)
        entry.described = True
    return _made(entry, compiled, records)


# -- rows as the session's objects ------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    columns: tuple[Any, ...]  # the model's table columns, in its mapper's order
    keys: tuple[str, ...]  # their attributes
    names: frozenset[str]  # the same, as a set
    identity: Callable[[Sequence[Any]], tuple[Any, ...]]  # its primary key's values among them
    identity_class: type
    manager: Any


_SHAPES: dict[type, _Shape] = {}


def _shape(model: type) -> _Shape:
    found = _SHAPES.get(model)
    if found is None:
        mapper: Mapper[Any] = inspect(model)
        if mapper.class_manager.dispatch.load or mapper.relationships or mapper.version_id_col is not None:
            # a listener on its loads, related objects, a version check: what the ORM's loading does
            # besides setting the columns
            raise ValueError(f"{model.__name__} is loaded by the ORM only")
        properties = list(mapper.column_attrs)
        columns = tuple(prop.columns[0] for prop in properties)
        primary = tuple(
            next(place for place, column in enumerate(columns) if column is key) for key in mapper.primary_key
        )
        getter = itemgetter(*primary)
        identity = getter if len(primary) > 1 else lambda values: (getter(values),)
        found = _SHAPES[model] = _Shape(
            columns,
            tuple(prop.key for prop in properties),
            frozenset(prop.key for prop in properties),
            identity,
            mapper._identity_class,
            mapper.class_manager,
        )
    return found


def columns_of(model: type) -> tuple[Any, ...]:
    """``model``'s columns, in the order :func:`persistent` takes their values."""
    return _shape(model).columns


def persistent(session: AsyncSession, model: type, values: Sequence[Any]) -> Any:
    """The session's object of ``model`` whose columns (:func:`columns_of`) hold ``values``: the one its
    identity map holds, its columns overwritten and nothing left to flush (a ``populate_existing`` load),
    or a new one, persistent in the session. ``None`` when its primary key is null (the missing row of
    an outer join)."""
    shape = _shape(model)
    identity = shape.identity(values)
    if identity[0] is None:  # a primary key's columns are never null but in an outer join's missing row
        return None
    sync = session.sync_session
    identity_map = sync.identity_map
    key = (shape.identity_class, identity, None)
    instance = identity_map.get(key)
    held = instance is not None
    if not held:
        instance = shape.manager.new_instance()
        state = instance_state(instance)
        state.key = key
        state.identity_token = None
        state.session_id = sync.hash_key
        identity_map._add_unpresent(state, key)
    instance.__dict__.update(zip(shape.keys, values, strict=True))
    if held:  # overwritten: its unflushed changes and expired attributes are gone (a new one has none)
        instance_state(instance)._commit_all(instance.__dict__, identity_map)
    return instance


def transient(model: type[_T], values: Mapping[str, Any]) -> _T:
    """A new object of ``model`` holding ``values`` (by attribute), in no session: what ``model(**values)``
    makes, without the constructor's event for every attribute (an added line's ~45 columns)."""
    shape = _shape(model)
    unknown = values.keys() - shape.names
    if unknown:
        raise TypeError(f"{model.__name__} has no column {sorted(unknown)[0]!r}")
    instance = shape.manager.new_instance()
    instance.__dict__.update(values)
    return cast(_T, instance)


def split(session: AsyncSession, row: Sequence[Any], layout: Sequence[type | None]) -> list[Any]:
    """A row of whole models' columns and single values, in ``layout``'s order (a model: its
    :func:`columns_of`, made :func:`persistent`; ``None``: one value, as it is)."""
    values = tuple(row)
    parts: list[Any] = []
    start = 0
    for model in layout:
        if model is None:
            parts.append(values[start])
            start += 1
        else:
            end = start + len(_shape(model).columns)
            parts.append(persistent(session, model, values[start:end]))
            start = end
    if start != len(values):
        raise ValueError(f"the row has {len(values)} values, its layout {start}")
    return parts
