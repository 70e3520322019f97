"""The repository's queries about organizations, API keys and idempotency records, and about customers
and their issuing and payment accounts (a part of
:class:`billfold.db.repository.Repository`, kept apart to keep each module small). Every one is scoped by
organization, but for the organizations table itself (its own id scopes it) and the key lookup that finds
a request's organization."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Row,
    Select,
    Table,
    and_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import ExternallyTraversible, replacement_traverse

from billfold.db import driver
from billfold.db import models as m

# api_key_id, organization_id, rounding_mode, tax_rounding, default_tax_category_id, time_zone
KeyHolder = Row[uuid.UUID, uuid.UUID, str, str, uuid.UUID | None, str]


class Along(NamedTuple):
    """A read of the caller's organization sent with the caller's key (PostgreSQL): the first read of
    work that locks nothing (an unlocked add or issue), one round trip instead of two. Its statement
    (``build()``, kept as ``name``) takes ``organization_id``, which becomes the key's organization;
    what it finds is kept for the read's own method (:func:`take_along`) as ``slot``."""

    name: Any
    build: Callable[[], Any]
    params: dict[str, Any]
    slot: tuple[Any, ...]


NOT_READ = object()
"""What :func:`take_along` answers for a read that was not sent with the key."""


def take_along(
    kept: dict[tuple[Any, ...], tuple[Any, ...] | None], organization_id: uuid.UUID, slot: tuple[Any, ...]
) -> Any:
    """The values the :class:`Along` read ``slot`` found in ``organization_id`` when the caller's key
    was read (``kept``: the repository's; once: taken, it is forgotten), ``None`` when it found
    nothing, :data:`NOT_READ` when it was not sent."""
    return kept.pop((organization_id, *slot), NOT_READ)


_ALONG_WIDTHS: dict[Any, int] = {}


def _along_width(name: Any, build: Callable[[], Any]) -> int:
    """How many columns the :class:`Along` read ``name`` selects (built once per name)."""
    width = _ALONG_WIDTHS.get(name)
    if width is None:
        width = _ALONG_WIDTHS[name] = len(build().selected_columns)
    return width


def _key_holder(idempotency: tuple[str, str] | None, along: Callable[[], Any] | None = None) -> Any:
    """:meth:`OrganizationQueries.key_holder`'s statement (parameters ``key_hash``, and ``scope`` and
    ``used`` with the idempotency record); ``along``: an :class:`Along`'s statement, joined laterally
    (its columns last, all ``NULL`` when it finds nothing), its ``organization_id`` the key's."""
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
        record = cast(Table, m.IdempotencyRecord.__table__)
        # The key's organization's record of this scope and key: one probe of the record's primary key.
        statement = statement.add_columns(
            record.c.fingerprint, record.c.status_code, record.c.response_body
        ).outerjoin(
            record,
            and_(
                record.c.organization_id == key.organization_id,
                record.c.scope == bindparam("scope", type_=record.c.scope.type),
                record.c.key == bindparam("used", type_=record.c.key.type),
            ),
        )
    hashed = bindparam("key_hash", type_=key.key_hash.type)
    statement = statement.where(key.key_hash == hashed, key.revoked_at.is_(None))
    if along is None:
        return statement
    # The key's column by its name: a scalar subquery of the read (its tax categories, say) sits a level
    # deeper than the lateral, so the column itself would not correlate there and SQLAlchemy would add
    # ``api_keys`` to that subquery's FROM (every organization's rows); the name refers to the outer row.
    keys = cast(Table, key.__table__)
    organization_id = literal_column(
        f"{keys.name}.{keys.c.organization_id.name}", type_=keys.c.organization_id.type
    )

    def the_key_s(element: Any, **_: Any) -> Any:
        if isinstance(element, BindParameter) and element.key == "organization_id":
            return organization_id
        return None

    built: ExternallyTraversible = along()
    options: dict[str, Any] = {}
    read = cast(Select[Any], replacement_traverse(built, options, the_key_s)).lateral("along")
    return statement.add_columns(*read.c).outerjoin(read, true())


class OrganizationQueries:
    session: AsyncSession
    _along: dict[tuple[Any, ...], tuple[Any, ...] | None]  # see take_along()

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

    async def key_holder(
        self, key_hash: str, idempotency: tuple[str, str] | None = None, along: Along | None = None
    ) -> KeyHolder | None:
        """The live (not revoked) API key with this hash and its organization's settings, in one query
        on the unique index of ``key_hash``: ``api_key_id, organization_id, rounding_mode, tax_rounding,
        default_tax_category_id, time_zone``. A key's hash is its identity across every organization, so
        this lookup is the one query that cannot name the organization: it finds it.

        With ``idempotency`` (scope, key), the same statement also reads that key's stored record in the
        key holder's organization (``fingerprint, status_code, response_body``, all ``None`` when the key
        is unused): an idempotent create's first query does both. With ``along`` (PostgreSQL), that read
        of the key's organization too, kept for :func:`take_along`; its columns follow the others."""
        params = {"key_hash": key_hash}
        if idempotency is not None:
            params["scope"], params["used"] = idempotency
        if along is None:
            name: Any = ("key_holder", idempotency is not None)
            found = await driver.rows(self.session, name, partial(_key_holder, idempotency), params)
            return cast(KeyHolder | None, found[0] if found else None)
        name = ("key_holder", idempotency is not None, along.name)
        build = partial(_key_holder, idempotency, along.build)
        found = await driver.rows(self.session, name, build, {**params, **along.params})
        if not found:
            return None
        values = tuple(found[0])[-_along_width(along.name, along.build) :]
        self._along[(found[0].organization_id, *along.slot)] = None if values[0] is None else values
        return cast(KeyHolder, found[0])

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

    # -- idempotency ---------------------------------------------------------------------------

    async def idempotency_record(self, organization_id: uuid.UUID, scope: str, key: str) -> Any | None:
        """The stored (fingerprint, status_code, response_body) of a key, if it was used."""
        table = m.IdempotencyRecord.__table__
        statement = select(table.c.fingerprint, table.c.status_code, table.c.response_body).where(
            table.c.organization_id == organization_id, table.c.scope == scope, table.c.key == key
        )
        return (await self.session.execute(statement)).first()

    # -- customers and accounts ----------------------------------------------------------------

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
