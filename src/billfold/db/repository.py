"""Every query Billfold makes. Each one is scoped by organization, so another tenant's id finds nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar, cast

from sqlalchemy import Row, Table, bindparam, delete, false, func, or_, select, update
from sqlalchemy import insert as insert_statement
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from billfold.db import models as m
from billfold.db.bulk_insert import insert_rows
from billfold.db.ids import new_id
from billfold.db.invoice_reads import InvoiceReads
from billfold.db.numbering import NumberClaim, delivery_records, draw_postgresql, draw_sqlite
from billfold.db.webhook_queries import WebhookQueries, new_delivery

T = TypeVar("T", bound=m.Base)
LineRow = Row[Any]
# api_key_id, organization_id, rounding_mode, tax_rounding, default_tax_category_id, time_zone
KeyHolder = Row[uuid.UUID, uuid.UUID, str, str, uuid.UUID | None, str]


_STATEMENTS: dict[Any, Any] = {}


def _built(name: Any, build: Callable[[], Any]) -> Any:
    """The statement ``name``, built once per process (SQL structure only, its values bound at every
    execution): building a statement costs the hot paths more Python than executing it."""
    found = _STATEMENTS.get(name)
    if found is None:
        found = _STATEMENTS[name] = build()
    return found


def _held_write(index: int, entry: tuple[Any, ...]) -> Any:
    """A held write (see :meth:`Repository.hold_writes`) as a statement whose values are bound
    parameters named ``h<index>_<column>``."""
    kind, table, values, *_ = entry
    columns = {name: bindparam(f"h{index}_{name}", type_=table.c[name].type) for name in values}
    if kind == "insert":
        return insert_statement(table).values(columns)
    statement = update(table).where(table.c.id == bindparam(f"h{index}_row_id", type_=table.c.id.type))
    if "organization_id" in table.c:
        column = table.c.organization_id
        statement = statement.where(column == bindparam(f"h{index}_organization_id", type_=column.type))
    return statement.values(columns)


def _key_holder(idempotency: tuple[str, str] | None) -> Any:
    """:meth:`Repository.key_holder`'s statement (parameters ``key_hash``, and ``scope`` and ``used``
    with the idempotency record)."""
    key, organization = m.ApiKey, m.Organization
    columns: list[Any] = [
        key.id.label("api_key_id"),
        key.organization_id,
        organization.rounding_mode,
        organization.tax_rounding,
        organization.default_tax_category_id,
        organization.time_zone,
    ]
    statement = select(*columns).join(organization, organization.id == key.organization_id)
    if idempotency is not None:
        record = m.IdempotencyRecord.__table__
        # Correlated to the key's organization; each a probe of the record's unique index.
        statement = statement.add_columns(
            *(
                select(column)
                .where(
                    record.c.organization_id == key.organization_id,
                    record.c.scope == bindparam("scope", type_=record.c.scope.type),
                    record.c.key == bindparam("used", type_=record.c.key.type),
                )
                .scalar_subquery()
                for column in (record.c.fingerprint, record.c.status_code, record.c.response_body)
            )
        )
    hashed = bindparam("key_hash", type_=key.key_hash.type)
    return statement.where(key.key_hash == hashed, key.revoked_at.is_(None))


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


def model_id(row: m.Base) -> uuid.UUID:
    row_id: uuid.UUID = row.id  # type: ignore[attr-defined]
    return row_id


class Repository(WebhookQueries, InvoiceReads):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._held: dict[tuple[str, Any], Any] | None = None  # see hold_writes

    # -- generic -------------------------------------------------------------------------------

    async def add(self, row: m.Base) -> None:
        self.session.add(row)
        await self.session.flush()

    async def insert(self, row: m.Base) -> None:
        """Insert a fully built row with one Core statement, skipping the ORM's unit-of-work
        bookkeeping (the hot write paths). ``row`` stays a plain, detached object for rendering."""
        table = cast(Table, row.__table__)
        values = {column.key: getattr(row, column.key) for column in table.columns}
        if self._held is not None:
            self._held[(table.name, model_id(row))] = ("insert", table, values)
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

    async def write_values(self, row: m.Base, values: dict[str, Any]) -> None:
        """``UPDATE ... WHERE organization_id = row.organization_id AND id = row.id`` with one Core
        statement, and the same values on the loaded ``row`` without marking it dirty (so no second
        UPDATE follows at flush). The organization itself is found by its own id."""
        table = cast(Table, row.__table__)
        statement = update(table).where(table.c.id == model_id(row))
        if "organization_id" in table.c:
            statement = statement.where(table.c.organization_id == row.organization_id)  # type: ignore[attr-defined]
        for name, value in values.items():
            set_committed_value(row, name, value)
        if self._held is not None:
            self._hold_update(table, row, values)
            return
        await self.session.execute(statement, values)

    # -- held writes (the add-line fast path) ----------------------------------------------------

    def hold_writes(self, organization_id: uuid.UUID) -> None:
        """From now on, :meth:`insert` and :meth:`write_values` of ``organization_id``'s rows are held
        (the rows take their values at once) until :meth:`write_held`, which sends them together: on
        PostgreSQL as one statement. Only for a write that reads nothing after it starts holding (a
        read would not see the held writes): adding a line, once everything it needs has been read."""
        del organization_id  # every held write names its row's organization
        if self._held is None:
            self._held = {}

    def _hold_update(self, table: Table, row: m.Base, values: dict[str, Any]) -> None:
        """Hold an UPDATE, merged into a held write of the same row: PostgreSQL applies only one change
        per row in one statement, and an UPDATE would not see a row INSERTed by the same statement."""
        assert self._held is not None
        slot = (table.name, model_id(row))
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
        if not held:
            return
        del organization_id  # every held write names its row's organization
        entries = list(held.values())
        shapes = tuple((kind, table.name, tuple(values)) for kind, table, values, *_ in entries)
        params: dict[str, Any] = {}
        for index, (kind, _, values, *rest) in enumerate(entries):
            params.update({f"h{index}_{name}": value for name, value in values.items()})
            if kind == "update":
                params[f"h{index}_row_id"], params[f"h{index}_organization_id"] = rest
        if self.session.get_bind().dialect.name != "postgresql":
            for index, entry in enumerate(entries):
                statement = _built(("held", index, shapes[index]), partial(_held_write, index, entry))
                prefix = f"h{index}_"
                await self.session.execute(
                    statement, {name: value for name, value in params.items() if name.startswith(prefix)}
                )
            return

        def build() -> Any:
            *first, last = [_held_write(index, entry) for index, entry in enumerate(entries)]
            return last.add_cte(*(item.cte(f"held_{index}") for index, item in enumerate(first)))

        await self.session.execute(_built(("held", shapes), build), params)

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

    # -- organizations and keys ----------------------------------------------------------------

    async def count_organizations(self) -> int:
        return int((await self.session.execute(select(func.count(m.Organization.id)))).scalar_one())

    async def organizations_by_id_or_name(self, text: str, limit: int = 2) -> list[m.Organization]:
        """Organizations whose id or name is ``text``, or (``text`` empty) any, at most ``limit``: how
        the CLI finds the one it works for."""
        statement = select(m.Organization).order_by(m.Organization.id).limit(limit)
        if text:
            try:
                by_id = m.Organization.id == uuid.UUID(text)
            except ValueError:
                by_id = false()
            statement = statement.where(or_(by_id, m.Organization.name == text))
        return list((await self.session.execute(statement)).scalars())

    async def organization_by_name(self, name: str) -> m.Organization | None:
        statement = select(m.Organization).where(m.Organization.name == name).order_by(m.Organization.id)
        return (await self.session.execute(statement)).scalars().first()

    async def key_holder(self, key_hash: str, idempotency: tuple[str, str] | None = None) -> KeyHolder | None:
        """The live (not revoked) API key with this hash and its organization's settings, in one query
        on the unique index of ``key_hash``: ``api_key_id, organization_id, rounding_mode, tax_rounding,
        default_tax_category_id, time_zone``. A key's hash is its identity across every organization, so
        this lookup is the one query that cannot name the organization: it finds it.

        With ``idempotency`` (scope, key), the same statement also reads that key's stored record in the
        key holder's organization (``fingerprint, status_code, response_body``, all ``None`` when the key
        is unused): an idempotent create's first query does both."""
        params = {"key_hash": key_hash}
        if idempotency is not None:
            params["scope"], params["used"] = idempotency
        statement = _built(("key_holder", idempotency is not None), partial(_key_holder, idempotency))
        return cast(KeyHolder | None, (await self.session.execute(statement, params)).first())

    async def revoke_api_key(
        self, organization_id: uuid.UUID, key_id: uuid.UUID, at: datetime
    ) -> m.ApiKey | None:
        """Revoke the organization's key (once: a revoked key keeps its first ``revoked_at``); the key
        as it now is, or ``None`` when the organization has no such key."""
        await self.session.execute(
            update(m.ApiKey)
            .where(
                m.ApiKey.organization_id == organization_id,
                m.ApiKey.id == key_id,
                m.ApiKey.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )
        statement = (
            select(m.ApiKey)
            .where(m.ApiKey.organization_id == organization_id, m.ApiKey.id == key_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def organization(self, organization_id: uuid.UUID, *, for_update: bool = False) -> m.Organization:
        """The organization itself (it has no ``organization_id``: its own id scopes it)."""
        statement = select(m.Organization).where(m.Organization.id == organization_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return (await self.session.execute(statement)).scalar_one()

    # -- accounts and catalog ------------------------------------------------------------------

    async def default_issuing_account(self, organization_id: uuid.UUID) -> m.IssuingAccount | None:
        statement = select(m.IssuingAccount).where(
            m.IssuingAccount.organization_id == organization_id, m.IssuingAccount.is_default.is_(True)
        )
        return (await self.session.execute(statement)).scalars().first()

    async def default_payment_account(
        self, organization_id: uuid.UUID, customer_id: uuid.UUID
    ) -> m.PaymentAccount | None:
        statement = (
            select(m.PaymentAccount)
            .where(
                m.PaymentAccount.organization_id == organization_id,
                m.PaymentAccount.customer_id == customer_id,
            )
            .order_by(m.PaymentAccount.is_default.desc(), m.PaymentAccount.id)
        )
        return (await self.session.execute(statement)).scalars().first()

    async def customer_by_external_id(
        self, organization_id: uuid.UUID, external_id: str
    ) -> m.Customer | None:
        statement = select(m.Customer).where(
            m.Customer.organization_id == organization_id, m.Customer.external_customer_id == external_id
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def product_by_name_or_insert(self, values: dict[str, Any]) -> m.Product:
        """The organization's product of this name, inserted from ``values`` when there is none.

        ``INSERT ... ON CONFLICT DO NOTHING`` then a read: two requests naming a new product at once
        both end up with the same row, and neither transaction aborts.
        """
        dialect = self.session.get_bind().dialect.name
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        await self.session.execute(
            insert(m.Product)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["organization_id", "name"])
        )
        statement = (
            select(m.Product)
            .where(m.Product.organization_id == values["organization_id"], m.Product.name == values["name"])
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(statement)).scalar_one()

    async def products_by_names(self, organization_id: uuid.UUID, names: Sequence[str]) -> list[m.Product]:
        """The organization's products with these names (a bulk create's, looked up at once)."""
        found: list[m.Product] = []
        for start in range(0, len(names), 500):  # within every driver's limit of bound parameters
            statement = select(m.Product).where(
                m.Product.organization_id == organization_id, m.Product.name.in_(names[start : start + 500])
            )
            found += (await self.session.execute(statement)).scalars()
        return found

    async def product_by_name(self, organization_id: uuid.UUID, name: str) -> m.Product | None:
        def build() -> Any:
            product = m.Product
            return select(product).where(
                product.organization_id == bindparam("organization_id", type_=product.organization_id.type),
                product.name == bindparam("name", type_=product.name.type),
            )

        params = {"organization_id": organization_id, "name": name}
        found = (await self.session.execute(_built("product_by_name", build), params)).scalar_one_or_none()
        return cast(m.Product | None, found)

    # -- invoices ------------------------------------------------------------------------------

    async def groups_of(self, organization_id: uuid.UUID, invoice_id: uuid.UUID) -> list[m.LineItemGroup]:
        statement = (
            select(m.LineItemGroup)
            .where(
                m.LineItemGroup.organization_id == organization_id, m.LineItemGroup.invoice_id == invoice_id
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

    async def delete_row(self, model: type[T], organization_id: uuid.UUID, row_id: uuid.UUID) -> None:
        statement = delete(model).where(
            model.organization_id == organization_id,  # type: ignore[attr-defined]
            model.id == row_id,  # type: ignore[attr-defined]
        )
        await self.session.execute(statement)

    # -- idempotency ---------------------------------------------------------------------------

    async def idempotency_record(self, organization_id: uuid.UUID, scope: str, key: str) -> Any | None:
        """The stored (fingerprint, status_code, response_body) of a key, if it was used."""
        table = m.IdempotencyRecord.__table__
        statement = select(table.c.fingerprint, table.c.status_code, table.c.response_body).where(
            table.c.organization_id == organization_id, table.c.scope == scope, table.c.key == key
        )
        return (await self.session.execute(statement)).first()

    # -- lifecycle -----------------------------------------------------------------------------

    async def invoice_to_issue(
        self, organization_id: uuid.UUID, invoice_id: uuid.UUID
    ) -> tuple[m.Invoice, m.IssuingAccount | None, m.Customer | None] | None:
        """The invoice, row-locked (only the invoice's row), with its issuing account and customer: one
        statement."""
        invoice, account, customer = m.Invoice, m.IssuingAccount, m.Customer
        statement = (
            select(invoice, account, customer)
            .outerjoin(
                account,
                (account.organization_id == invoice.organization_id)
                & (account.id == invoice.issuing_account_id),
            )
            .outerjoin(
                customer,
                (customer.organization_id == invoice.organization_id) & (customer.id == invoice.customer_id),
            )
            .where(invoice.organization_id == organization_id, invoice.id == invoice_id)
            .with_for_update(of=invoice)
            .execution_options(populate_existing=True)
        )
        row = (await self.session.execute(statement)).first()
        return None if row is None else (row[0], row[1], row[2])

    async def lock_counter(
        self, organization_id: uuid.UUID, issuing_account_id: uuid.UUID, series: str, prefix: str
    ) -> m.NumberCounter:
        """The numbering sequence's counter, created at zero if new, row-locked for this transaction."""
        dialect = self.session.get_bind().dialect.name
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        await self.session.execute(
            insert(m.NumberCounter)
            .values(
                id=new_id(),
                organization_id=organization_id,
                issuing_account_id=issuing_account_id,
                series=series,
                prefix=prefix,
                last_value=0,
                last_issue_date=None,
            )
            .on_conflict_do_nothing(
                index_elements=["organization_id", "issuing_account_id", "series", "prefix"]
            )
        )
        statement = (
            select(m.NumberCounter)
            .where(
                m.NumberCounter.organization_id == organization_id,
                m.NumberCounter.issuing_account_id == issuing_account_id,
                m.NumberCounter.series == series,
                m.NumberCounter.prefix == prefix,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(statement)).scalar_one()

    async def events_of(self, organization_id: uuid.UUID, invoice_id: uuid.UUID) -> list[m.InvoiceEvent]:
        """The invoice's events in the order they happened (by the organization's event sequence)."""
        statement = (
            select(m.InvoiceEvent)
            .where(m.InvoiceEvent.organization_id == organization_id, m.InvoiceEvent.invoice_id == invoice_id)
            .order_by(m.InvoiceEvent.sequence)
        )
        return list((await self.session.execute(statement)).scalars())

    async def add_events(
        self,
        rows: Sequence[m.InvoiceEvent],
        targets: dict[uuid.UUID, uuid.UUID] | None = None,
        claim: NumberClaim | None = None,
    ) -> None:
        """The transaction's last writes (:mod:`billfold.db.numbering`): draw the invoice number of
        ``claim`` (an issue), number ``rows`` in order from their organization's event counter, add
        them, and add one pending webhook delivery per event and enabled endpoint subscribed to its type
        (the outbox fan-out: in the same transaction, so a committed event always has its deliveries and
        a rolled-back one never does). ``targets`` sends an event to one endpoint only (a test event).

        On PostgreSQL that is one statement per organization (the endpoints are read before it), so the
        counters' row locks are held for that statement and the commit. On SQLite the write lock is the
        transaction's from its start, and the ORM writes the events.
        """
        targets = targets or {}
        by_organization: dict[uuid.UUID, list[m.InvoiceEvent]] = {}
        for row in rows:
            by_organization.setdefault(row.organization_id, []).append(row)
        if self.session.get_bind().dialect.name == "postgresql":
            if claim is not None:
                by_organization.setdefault(claim.organization_id, [])
            for organization_id, group in by_organization.items():
                endpoints = await self.enabled_endpoints(organization_id) if group else []
                records = delivery_records(group, endpoints, targets)
                own = claim if claim is not None and claim.organization_id == organization_id else None
                await draw_postgresql(self.session, organization_id, group, records, own)
            return
        if claim is not None:
            await draw_sqlite(self.session, claim, rows)
        table = cast(Table, m.EventCounter.__table__)
        deliveries: list[dict[str, Any]] = []
        for organization_id, group in by_organization.items():
            values = sqlite_insert(table).values(organization_id=organization_id, last_value=len(group))
            advance = values.on_conflict_do_update(
                index_elements=[table.c.organization_id],
                set_={"last_value": table.c.last_value + values.excluded.last_value},
            ).returning(table.c.last_value)
            last: int = (await self.session.execute(advance)).scalar_one()
            for offset, row in enumerate(group):
                row.sequence = last - len(group) + 1 + offset
            endpoints = await self.enabled_endpoints(organization_id)
            for row in group:
                target = targets.get(row.id)
                if target is not None:
                    deliveries.append(new_delivery(row, target, row.id))
                    continue
                deliveries += [
                    new_delivery(row, endpoint_id, None)
                    for endpoint_id, subscribed in endpoints
                    if "*" in subscribed or row.type in subscribed
                ]
        if not rows:
            return
        self.session.add_all(rows)
        await self.session.flush()
        if deliveries:
            await self.session.execute(insert_statement(cast(Table, m.WebhookDelivery.__table__)), deliveries)

    async def payments_of(self, organization_id: uuid.UUID, invoice_id: uuid.UUID) -> list[m.Payment]:
        statement = (
            select(m.Payment)
            .where(m.Payment.organization_id == organization_id, m.Payment.invoice_id == invoice_id)
            .order_by(m.Payment.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def invoice_by_hosted_token(self, token: str) -> tuple[m.Invoice, m.Organization] | None:
        """The invoice a hosted page's token opens, and its organization: the one lookup not scoped by
        organization, because the token (192 random bits, unique) is what tells Billfold which it is."""
        statement = (
            select(m.Invoice, m.Organization)
            .join(m.Organization, m.Organization.id == m.Invoice.organization_id)
            .where(m.Invoice.hosted_token == token)
        )
        row = (await self.session.execute(statement)).first()
        return None if row is None else (row[0], row[1])

    async def issued_invoices_since(
        self, organization_id: uuid.UUID, since: Any
    ) -> list[tuple[uuid.UUID, str]]:
        """(id, number) of the organization's numbered invoices issued on or after ``since``."""
        statement = (
            select(m.Invoice.id, m.Invoice.invoice_number)
            .where(
                m.Invoice.organization_id == organization_id,
                m.Invoice.invoice_number.is_not(None),
                m.Invoice.issue_date >= since,
            )
            .order_by(m.Invoice.issue_date, m.Invoice.id)
        )
        return [(row[0], str(row[1])) for row in (await self.session.execute(statement)).all()]

    # -- taxes and credits ---------------------------------------------------------------------

    async def tax_categories_of(self, organization_id: uuid.UUID) -> list[Any]:
        """The organization's categories as plain rows (id, name, rates): read on every invoice write."""
        table = cast(Table, m.TaxCategory.__table__)

        def build() -> Any:
            organization = bindparam("organization_id", type_=table.c.organization_id.type)
            return (
                select(table.c.id, table.c.name, table.c.rates)
                .where(table.c.organization_id == organization)
                .order_by(table.c.id)
            )

        statement = _built("tax_categories_of", build)
        return list((await self.session.execute(statement, {"organization_id": organization_id})).all())

    async def credit_entries_of(
        self, organization_id: uuid.UUID, customer_id: uuid.UUID, currency: str | None = None
    ) -> list[m.CreditEntry]:
        """The customer's ledger (in ``currency`` when given), newest first."""
        statement = select(m.CreditEntry).where(
            m.CreditEntry.organization_id == organization_id, m.CreditEntry.customer_id == customer_id
        )
        if currency is not None:
            statement = statement.where(m.CreditEntry.currency == currency)
        statement = statement.order_by(m.CreditEntry.id.desc())
        return list((await self.session.execute(statement)).scalars())

    # -- edits ---------------------------------------------------------------------------------

    async def customer_has_invoices(self, organization_id: uuid.UUID, customer_id: uuid.UUID) -> bool:
        statement = (
            select(m.Invoice.id)
            .where(m.Invoice.organization_id == organization_id, m.Invoice.customer_id == customer_id)
            .limit(1)
        )
        return (await self.session.execute(statement)).first() is not None

    async def issuing_account_has_numbered_invoices(
        self, organization_id: uuid.UUID, account_id: uuid.UUID
    ) -> bool:
        """Whether an invoice has taken a number in the account (voided ones keep theirs)."""
        statement = (
            select(m.Invoice.id)
            .where(
                m.Invoice.organization_id == organization_id,
                m.Invoice.issuing_account_id == account_id,
                m.Invoice.invoice_number.is_not(None),
            )
            .limit(1)
        )
        return (await self.session.execute(statement)).first() is not None

    async def make_default_issuing_account(self, organization_id: uuid.UUID, account_id: uuid.UUID) -> None:
        """``account_id`` becomes the organization's only default issuing account."""
        table = cast(Table, m.IssuingAccount.__table__)
        await self.session.execute(
            update(table)
            .where(table.c.organization_id == organization_id, table.c.id != account_id)
            .where(table.c.is_default.is_(True))
            .values(is_default=False)
        )
        await self.session.execute(
            update(table)
            .where(table.c.organization_id == organization_id, table.c.id == account_id)
            .values(is_default=True)
        )

    async def marked_default_payment_account(
        self, organization_id: uuid.UUID, customer_id: uuid.UUID
    ) -> m.PaymentAccount | None:
        """The customer's payment account marked default (the one made with the customer), if any."""
        statement = select(m.PaymentAccount).where(
            m.PaymentAccount.organization_id == organization_id,
            m.PaymentAccount.customer_id == customer_id,
            m.PaymentAccount.is_default.is_(True),
        )
        return (await self.session.execute(statement)).scalars().first()

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

    # -- credit notes and refunds --------------------------------------------------------------

    async def credit_notes_of(self, organization_id: uuid.UUID, invoice_id: uuid.UUID) -> list[m.CreditNote]:
        """The invoice's credit notes (void ones too), oldest first."""
        statement = (
            select(m.CreditNote)
            .where(m.CreditNote.organization_id == organization_id, m.CreditNote.invoice_id == invoice_id)
            .order_by(m.CreditNote.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def credit_note_lines_of(
        self, organization_id: uuid.UUID, credit_note_id: uuid.UUID
    ) -> list[m.CreditNoteLine]:
        statement = (
            select(m.CreditNoteLine)
            .where(
                m.CreditNoteLine.organization_id == organization_id,
                m.CreditNoteLine.credit_note_id == credit_note_id,
            )
            .order_by(m.CreditNoteLine.position)
        )
        return list((await self.session.execute(statement)).scalars())

    async def live_credit_note_lines(
        self, organization_id: uuid.UUID, invoice_id: uuid.UUID
    ) -> list[m.CreditNoteLine]:
        """Every line of the invoice's live (not void) credit notes: what has been credited so far."""
        note, line = m.CreditNote, m.CreditNoteLine
        statement = (
            select(line)
            .join(note, (note.organization_id == line.organization_id) & (note.id == line.credit_note_id))
            .where(
                note.organization_id == organization_id,
                note.invoice_id == invoice_id,
                note.status == "issued",
            )
            .order_by(line.credit_note_id, line.position)
        )
        return list((await self.session.execute(statement)).scalars())

    async def has_live_credit_notes(self, organization_id: uuid.UUID, invoice_id: uuid.UUID) -> bool:
        statement = (
            select(m.CreditNote.id)
            .where(
                m.CreditNote.organization_id == organization_id,
                m.CreditNote.invoice_id == invoice_id,
                m.CreditNote.status == "issued",
            )
            .limit(1)
        )
        return (await self.session.execute(statement)).first() is not None

    async def issuing_account_has_credit_notes(
        self, organization_id: uuid.UUID, account_id: uuid.UUID
    ) -> bool:
        """Whether a credit note has taken a number in the account (void ones keep theirs)."""
        statement = (
            select(m.CreditNote.id)
            .where(
                m.CreditNote.organization_id == organization_id, m.CreditNote.issuing_account_id == account_id
            )
            .limit(1)
        )
        return (await self.session.execute(statement)).first() is not None

    async def refunds_of(self, organization_id: uuid.UUID, invoice_id: uuid.UUID) -> list[m.Refund]:
        statement = (
            select(m.Refund)
            .where(m.Refund.organization_id == organization_id, m.Refund.invoice_id == invoice_id)
            .order_by(m.Refund.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def refunds_of_note(self, organization_id: uuid.UUID, credit_note_id: uuid.UUID) -> list[m.Refund]:
        statement = (
            select(m.Refund)
            .where(m.Refund.organization_id == organization_id, m.Refund.credit_note_id == credit_note_id)
            .order_by(m.Refund.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def lines_of_credit_notes(
        self, organization_id: uuid.UUID, credit_note_ids: Sequence[uuid.UUID]
    ) -> list[m.CreditNoteLine]:
        if not credit_note_ids:
            return []
        statement = (
            select(m.CreditNoteLine)
            .where(
                m.CreditNoteLine.organization_id == organization_id,
                m.CreditNoteLine.credit_note_id.in_(list(credit_note_ids)),
            )
            .order_by(m.CreditNoteLine.credit_note_id, m.CreditNoteLine.position)
        )
        return list((await self.session.execute(statement)).scalars())
