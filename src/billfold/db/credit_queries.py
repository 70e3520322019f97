"""The repository's queries about customers' credit ledgers (a part of
:class:`billfold.db.repository.Repository`, kept apart to keep each module small). Every one is scoped by
organization.

The ledger grows by a use with every invoice that takes credit, so only its listing (a page at a time,
:meth:`Repository.page`) reads the uses: issuing and the balances read the grants (each keeps what it
still holds in ``remaining``) and an invoice's own entries, by indexes on those alone."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, literal_column, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from billfold.db import models as m
from billfold.db.ledger import LedgerEntry
from billfold.db.statement_cache import built as _built


def _entries() -> Table:
    return cast(Table, m.CreditEntry.__table__)


def is_grant() -> Any:
    """``kind = 'grant'`` as a literal, so the planner matches the partial index on grants."""
    return _entries().c.kind == literal_column("'grant'")


def _param(name: str, column: str) -> Any:
    return bindparam(name, type_=_entries().c[column].type)


def _live_grants() -> Any:
    """The grants of ``customer_id`` in ``currency`` that still hold credit."""
    table = _entries()
    return select(*table.c).where(
        table.c.organization_id == _param("organization_id", "organization_id"),
        table.c.customer_id == _param("customer_id", "customer_id"),
        table.c.currency == _param("currency", "currency"),
        is_grant(),
        table.c.remaining.is_not(None),
    )


def _invoice_moves() -> Any:
    """The entries of ``invoice_id`` in ``currency`` that are its own credit: the uses it took at issue
    and the returns of them (at its void). A ``reversal`` names the invoice too (a voided credit note of
    it taking its credit back), but moves the note's grant, not credit the invoice took."""
    table = _entries()
    return select(*table.c).where(
        table.c.organization_id == _param("organization_id", "organization_id"),
        table.c.invoice_id == _param("invoice_id", "invoice_id"),
        table.c.currency == _param("currency", "currency"),
        table.c.kind.in_([literal_column("'use'"), literal_column("'return'")]),
    )


def _credit_for_invoice() -> Any:
    return union_all(_live_grants(), _invoice_moves())


class CreditQueries:
    session: AsyncSession

    async def credit_grants_of(self, organization_id: uuid.UUID, customer_id: uuid.UUID) -> list[LedgerEntry]:
        """Every grant of the customer, in every currency (the balances: no use is read)."""
        table = _entries()
        statement = select(*table.c).where(
            table.c.organization_id == organization_id, table.c.customer_id == customer_id, is_grant()
        )
        return cast(list[LedgerEntry], list((await self.session.execute(statement)).all()))

    async def credit_for_invoice(
        self,
        organization_id: uuid.UUID,
        customer_id: uuid.UUID,
        currency: str,
        invoice_id: uuid.UUID | None,
    ) -> list[LedgerEntry]:
        """What issuing ``invoice_id`` with credit reads, in one statement: the customer's grants in
        ``currency`` that still hold credit, and the invoice's own uses and their returns (none for an
        invoice never issued). The grants those entries name but that hold nothing are not among
        them: :meth:`credit_entries_by_ids` reads them."""
        params = {
            "organization_id": organization_id,
            "customer_id": customer_id,
            "currency": currency,
            "invoice_id": invoice_id,
        }
        result = await self.session.execute(_built("credit_for_invoice", _credit_for_invoice), params)
        return cast(list[LedgerEntry], list(result.all()))

    async def credit_entries_by_ids(
        self, organization_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]
    ) -> list[LedgerEntry]:
        if not entry_ids:
            return []
        table = _entries()
        statement = select(*table.c).where(
            table.c.organization_id == organization_id, table.c.id.in_(list(entry_ids))
        )
        return cast(list[LedgerEntry], list((await self.session.execute(statement)).all()))

    async def credit_entries_of_invoice(
        self, organization_id: uuid.UUID, invoice_id: uuid.UUID, currency: str
    ) -> list[LedgerEntry]:
        """The invoice's uses of credit in ``currency`` and their returns."""
        params = {"organization_id": organization_id, "invoice_id": invoice_id, "currency": currency}
        result = await self.session.execute(_built("invoice_moves", _invoice_moves), params)
        return cast(list[LedgerEntry], list(result.all()))

    async def set_grants_remaining(
        self, organization_id: uuid.UUID, remaining: Mapping[uuid.UUID, Decimal | None]
    ) -> None:
        """Store what each grant now holds (``None``: nothing); the caller holds the customer's row
        lock, as every writer of the ledger does."""
        if not remaining:
            return
        table = _entries()
        statement = (
            update(table)
            .where(table.c.organization_id == organization_id, table.c.id == bindparam("grant_id"))
            .values(remaining=bindparam("held", type_=table.c.remaining.type))
        )
        await self.session.execute(
            statement, [{"grant_id": grant_id, "held": held} for grant_id, held in remaining.items()]
        )
