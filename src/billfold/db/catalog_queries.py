"""The repository's queries about the catalog: products, prices and tax categories (a part of
:class:`billfold.db.repository.Repository`, kept apart to keep each module small). Every one is scoped by
organization (a product inserted by name carries its organization in its values)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from billfold.db import driver
from billfold.db import models as m
from billfold.db.statement_cache import built as _built


class CatalogQueries:
    session: AsyncSession

    # -- products ------------------------------------------------------------------------------

    async def product_by_name_or_insert(self, values: dict[str, Any]) -> m.Product:
        """The organization's product of this name, inserted from ``values`` when there is none.

        ``INSERT ... ON CONFLICT DO NOTHING`` then a read: two requests naming a new product at once
        both end up with the same row, and neither transaction aborts.
        """
        dialect = driver.bound(self.session).dialect.name
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

    async def catalog_ids_found(
        self, model: type[m.Product] | type[m.Price], organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Which of ``ids`` are the organization's products (or prices), in one query: another
        organization's ids are not found, as unknown ones."""
        if not ids:
            return set()
        statement = select(model.id).where(model.organization_id == organization_id, model.id.in_(set(ids)))
        return set((await self.session.execute(statement)).scalars())

    # -- tax categories ------------------------------------------------------------------------

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
