"""The repository's queries of an invoice's lifecycle: the invoice to issue, the numbering counter, its
events (numbered, with their webhook deliveries), payments, the hosted page's token and the invoices
issued since a date (a part of :class:`billfold.db.repository.Repository`, kept apart to keep each module
small). Every one is scoped by organization but the hosted page's lookup, whose token finds the
organization; events are added through :mod:`billfold.db.numbering`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, literal_column, select
from sqlalchemy import insert as insert_statement
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from billfold.db import driver
from billfold.db import models as m
from billfold.db.credit_queries import is_grant
from billfold.db.ids import new_id
from billfold.db.line_queries import LineRow, lines_of_statement
from billfold.db.numbering import NumberClaim, draw_postgresql, draw_sqlite
from billfold.db.organization_queries import NOT_READ, Along, take_along
from billfold.db.webhook_queries import WebhookQueries, new_delivery


class ToIssue(NamedTuple):
    """An invoice about to be issued and the rows issuing it reads (``None``: gone)."""

    invoice: m.Invoice
    account: m.IssuingAccount | None
    customer: m.Customer | None
    billed: m.PaymentAccount | None
    organization: m.Organization
    has_credit: bool
    """Whether the customer has a grant in the invoice's currency that still holds credit."""
    version: tuple[str, str] | None = None
    """Read without a lock: the invoice row's version (:attr:`NumberClaim.version`)."""
    lines: list[LineRow] | None = None
    """Read without a lock: the invoice's lines, as :meth:`LineQueries.lines_of` reads them."""


_TO_ISSUE_LAYOUT: tuple[type | None, ...] = (
    m.Invoice,
    m.IssuingAccount,
    m.Customer,
    m.PaymentAccount,
    m.Organization,
    None,
)


def _to_issue(lock: bool = True) -> Any:
    """:meth:`InvoiceLifecycle.invoice_to_issue`'s statement (``organization_id``, ``row_id``), built
    once: the whole rows of ``_TO_ISSUE_LAYOUT``'s models (:func:`driver.columns_of`), then whether the
    customer has credit; ``lock=False``: not locked, and after them the invoice row's version
    (``xmin``, ``xmax``) and its lines (an array of records of every ``line_items`` column)."""
    invoice, account, customer, billed, organization = (
        cast(Table, model.__table__)  # type: ignore[attr-defined]
        for model in _TO_ISSUE_LAYOUT
        if model is not None
    )
    entry = m.CreditEntry
    has_credit = (
        select(entry.id)
        .where(
            entry.organization_id == invoice.c.organization_id,
            entry.customer_id == invoice.c.customer_id,
            entry.currency == invoice.c.currency,
            is_grant(),
            entry.remaining.is_not(None),
        )
        .exists()
    )
    columns: list[Any] = [
        column for model in _TO_ISSUE_LAYOUT if model is not None for column in driver.columns_of(model)
    ]
    columns.append(has_credit.label("has_credit"))
    if not lock:
        # (the models' column names are plain identifiers: quoted, none is taken for a keyword)
        fields = ", ".join(f'l."{column.name}"' for column in cast(Table, m.LineItem.__table__).columns)
        columns += [
            literal_column("CAST(invoices.xmin AS text)").label("seen_xmin"),
            literal_column("CAST(invoices.xmax AS text)").label("seen_xmax"),
            # the lines, each a record of every column in the table's order (what lines_of reads)
            literal_column(
                f"(SELECT array_agg(ROW({fields}) ORDER BY l.position) FROM line_items AS l"
                " WHERE l.organization_id = invoices.organization_id AND l.invoice_id = invoices.id)"
            ).label("lines"),
        ]
    statement = (
        select(*columns)
        .select_from(invoice)
        .outerjoin(
            account,
            (account.c.organization_id == invoice.c.organization_id)
            & (account.c.id == invoice.c.issuing_account_id),
        )
        .outerjoin(
            customer,
            (customer.c.organization_id == invoice.c.organization_id)
            & (customer.c.id == invoice.c.customer_id),
        )
        .outerjoin(
            billed,
            (billed.c.organization_id == invoice.c.organization_id)
            & (billed.c.id == invoice.c.payment_account_id),
        )
        .join(organization, organization.c.id == invoice.c.organization_id)
        .where(
            invoice.c.organization_id == bindparam("organization_id", type_=invoice.c.organization_id.type),
            invoice.c.id == bindparam("row_id", type_=invoice.c.id.type),
        )
    )
    return statement.with_for_update(of=invoice) if lock else statement


_UNLOCKED_LAYOUT = (*_TO_ISSUE_LAYOUT, None, None, None)  # and the row's xmin and xmax, the lines


def _unlocked() -> Any:
    return _to_issue(lock=False)


def to_issue_along(invoice_id: uuid.UUID) -> Along:
    """:meth:`InvoiceLifecycle.invoice_to_issue`'s read with ``lock=False``, to be sent with the caller's
    key (PostgreSQL): the method then finds it read."""
    return Along("invoice_to_issue_unlocked", _unlocked, {"row_id": invoice_id}, ("to_issue", invoice_id))


class InvoiceLifecycle(WebhookQueries):
    """Built on :class:`~billfold.db.webhook_queries.WebhookQueries`: adding events reads the enabled
    endpoints."""

    _along: dict[tuple[Any, ...], tuple[Any, ...] | None]  # see organization_queries.take_along

    async def invoice_to_issue(
        self, organization_id: uuid.UUID, invoice_id: uuid.UUID, *, lock: bool = True
    ) -> ToIssue | None:
        """The invoice, row-locked (only the invoice's row), with what issuing it reads besides: its
        issuing account, customer, billed payment account and organization, and whether the customer
        has any credit entry in its currency (when not, issuing reads no ledger). One statement.
        ``lock=False`` (PostgreSQL): not locked; the row's version and the invoice's lines are read
        instead."""
        params = {"organization_id": organization_id, "row_id": invoice_id}
        if lock:
            found = await driver.rows(self.session, "invoice_to_issue", _to_issue, params)
            layout = _TO_ISSUE_LAYOUT
        else:
            along = take_along(self._along, organization_id, ("to_issue", invoice_id))
            if along is NOT_READ:
                found = await driver.rows(self.session, "invoice_to_issue_unlocked", _unlocked, params)
            else:  # read with the caller's key (to_issue_along)
                found = [] if along is None else [along]
            layout = _UNLOCKED_LAYOUT
        if not found:
            return None
        invoice, account, customer, billed, organization, has_credit, *unlocked = driver.split(
            self.session, found[0], layout
        )
        if not unlocked:
            return ToIssue(invoice, account, customer, billed, organization, bool(has_credit))
        xmin, xmax, records = unlocked
        # as lines_of reads them: the same conversions, the same row type
        lines = await driver.rows_like(self.session, "lines_of", lines_of_statement, records or ())
        return ToIssue(
            invoice, account, customer, billed, organization, bool(has_credit), (xmin, xmax), lines
        )

    async def lock_counter(
        self, organization_id: uuid.UUID, issuing_account_id: uuid.UUID, series: str, prefix: str
    ) -> m.NumberCounter:
        """The numbering sequence's counter, created at zero if new, row-locked for this transaction."""
        dialect = driver.bound(self.session).dialect.name
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

        On PostgreSQL that is one statement per organization (which reads the endpoints too), so the
        counters' row locks are held for that statement and the commit. On SQLite the write lock is the
        transaction's from its start, and the ORM writes the events.
        """
        targets = targets or {}
        by_organization: dict[uuid.UUID, list[m.InvoiceEvent]] = {}
        for row in rows:
            by_organization.setdefault(row.organization_id, []).append(row)
        if driver.bound(self.session).dialect.name == "postgresql":
            if claim is not None:
                by_organization.setdefault(claim.organization_id, [])
            for organization_id, group in by_organization.items():
                own = claim if claim is not None and claim.organization_id == organization_id else None
                await draw_postgresql(self.session, organization_id, group, targets, own)
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
