"""The repository's queries about organizations, API keys and idempotency records, and about customers
and their issuing and payment accounts (a part of
:class:`billfold.db.repository.Repository`, kept apart to keep each module small). Every one is scoped by
organization, but for the organizations table itself (its own id scopes it) and the key lookup that finds
a request's organization."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Any, cast

from sqlalchemy import Row, Table, and_, bindparam, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billfold.db import driver
from billfold.db import models as m

# api_key_id, organization_id, rounding_mode, tax_rounding, default_tax_category_id, time_zone
KeyHolder = Row[uuid.UUID, uuid.UUID, str, str, uuid.UUID | None, str]


def _key_holder(idempotency: tuple[str, str] | None) -> Any:
    """:meth:`OrganizationQueries.key_holder`'s statement (parameters ``key_hash``, and ``scope`` and
    ``used`` with the idempotency record)."""
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
    return statement.where(key.key_hash == hashed, key.revoked_at.is_(None))


class OrganizationQueries:
    session: AsyncSession

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
        name = ("key_holder", idempotency is not None)
        found = await driver.rows(self.session, name, partial(_key_holder, idempotency), params)
        return cast(KeyHolder | None, found[0] if found else None)

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
