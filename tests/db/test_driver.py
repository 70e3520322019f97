"""Statements on the driver's own connection (``billfold.db.driver``): the same rows as the session's
execution, in the session's transaction, seen by the engine's listeners, errors as SQLAlchemy's."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy import Table, bindparam, event, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db import driver
from billfold.db import models as m
from billfold.db.errors import unique_violation
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization

RECORDS = cast(Table, m.IdempotencyRecord.__table__)
PRODUCTS = cast(Table, m.Product.__table__)


def _record_insert() -> Any:
    columns = {column.key: bindparam(column.key, type_=column.type) for column in RECORDS.columns}
    return insert(RECORDS).values(columns)


def _record_select() -> Any:
    organization = bindparam("organization_id", type_=RECORDS.c.organization_id.type)
    return select(RECORDS.c.scope, RECORDS.c.key, RECORDS.c.status_code, RECORDS.c.response_body).where(
        RECORDS.c.organization_id == organization, RECORDS.c.fingerprint != "never"
    )


def _record(organization_id: uuid.UUID, key: str) -> dict[str, Any]:
    return {
        "organization_id": organization_id,
        "scope": "driver-test",
        "key": key,
        "fingerprint": "f",
        "status_code": 201,
        "response_body": '{"amount": "12.35"}',
        "created_at": utcnow(),
    }


async def _organization(engine: AsyncEngine, name: str) -> uuid.UUID:
    async with UnitOfWork(engine) as uow:
        organization, _ = await create_organization(uow, name)
        await uow.commit()
    return organization.id


async def test_rows_match_the_sessions_and_join_its_transaction(engine: AsyncEngine) -> None:
    organization = await _organization(engine, f"Driver {new_id()}")
    async with UnitOfWork(engine) as uow:
        await driver.rows(uow.session, ("test", "insert"), _record_insert, _record(organization, "a"))
        # the session reads what the driver wrote: one transaction
        through_session = (
            await uow.session.execute(_record_select(), {"organization_id": organization})
        ).all()
        through_driver = await driver.rows(
            uow.session, ("test", "select"), _record_select, {"organization_id": organization}
        )
        assert [tuple(row) for row in through_driver] == [tuple(row) for row in through_session]
        (row,) = through_driver
        assert (row.scope, row.key, row.status_code) == ("driver-test", "a", 201)
        assert row.response_body == '{"amount": "12.35"}'
        # not committed: rolled back with the session
    async with UnitOfWork(engine) as uow:
        found = await driver.rows(
            uow.session, ("test", "select"), _record_select, {"organization_id": organization}
        )
        assert found == []


async def test_the_engines_listeners_see_each_statement(engine: AsyncEngine) -> None:
    organization = await _organization(engine, f"Driver seen {new_id()}")
    seen: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with UnitOfWork(engine) as uow:
            await driver.rows(
                uow.session, ("test", "select"), _record_select, {"organization_id": organization}
            )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert any("FROM idempotency_records" in statement for statement in seen), seen


async def test_a_unique_violation_is_sqlalchemys_integrity_error(engine: AsyncEngine) -> None:
    organization = await _organization(engine, f"Driver unique {new_id()}")
    async with UnitOfWork(engine) as uow:
        await driver.rows(uow.session, ("test", "insert"), _record_insert, _record(organization, "k"))
        await uow.commit()
    async with UnitOfWork(engine) as uow:
        with pytest.raises(IntegrityError) as raised:
            await driver.rows(uow.session, ("test", "insert"), _record_insert, _record(organization, "k"))
    assert unique_violation(raised.value) == "pk_idempotency_records"  # a retried conflict (plumbing)
    async with UnitOfWork(engine) as uow:  # the failed transaction left nothing behind
        found = await driver.rows(
            uow.session, ("test", "select"), _record_select, {"organization_id": organization}
        )
        assert [row.key for row in found] == ["k"]


async def test_numeric_and_uuid_columns_come_back_as_the_sessions_do(engine: AsyncEngine) -> None:
    organization = await _organization(engine, f"Driver types {new_id()}")
    product_id = new_id()
    values = {
        "organization_id": organization,
        "id": product_id,
        "name": "Priced",
        "description": None,
        "default_unit_price": Decimal("12.345"),
        "tax_category_id": None,
        "idempotency_key": "driver-types",
        "created_at": utcnow(),
    }

    def build() -> Any:
        organization_id = bindparam("organization_id", type_=PRODUCTS.c.organization_id.type)
        return select(PRODUCTS.c.id, PRODUCTS.c.default_unit_price, PRODUCTS.c.created_at).where(
            PRODUCTS.c.organization_id == organization_id
        )

    async with UnitOfWork(engine) as uow:
        await uow.session.execute(insert(PRODUCTS), values)
        (row,) = await driver.rows(uow.session, ("test", "product"), build, {"organization_id": organization})
        (expected,) = (await uow.session.execute(build(), {"organization_id": organization})).all()
    assert tuple(row) == tuple(expected)
    assert [type(value) for value in row] == [type(value) for value in expected]
    assert isinstance(row.id, uuid.UUID)
    assert row.id == product_id
    assert type(row.default_unit_price) is Decimal
    assert row.default_unit_price == Decimal("12.345")


async def test_records_read_in_another_statement_become_the_statements_rows(engine: AsyncEngine) -> None:
    """``rows_like``: the anonymous records of an ``array_agg(ROW(...))`` (PostgreSQL) become the rows
    the statement itself would read: the same values, types and row type."""
    organization = await _organization(engine, f"Driver records {new_id()}")
    for name in ("First", "Second"):
        await _stored_product(engine, organization, name, default_unit_price=Decimal("12.345"))

    def build() -> Any:
        organization_id = bindparam("organization_id", type_=PRODUCTS.c.organization_id.type)
        return (
            select(PRODUCTS.c.id, PRODUCTS.c.name, PRODUCTS.c.default_unit_price, PRODUCTS.c.created_at)
            .where(PRODUCTS.c.organization_id == organization_id)
            .order_by(PRODUCTS.c.name)
        )

    def aggregated() -> Any:
        return text(
            "SELECT (SELECT array_agg(ROW(p.id, p.name, p.default_unit_price, p.created_at) ORDER BY p.name)"
            " FROM products AS p WHERE p.organization_id = CAST(:organization_id AS uuid))"
        )

    params = {"organization_id": organization}
    async with UnitOfWork(engine) as uow:
        if engine.dialect.name != "postgresql":
            with pytest.raises(RuntimeError):
                await driver.rows_like(uow.session, ("test", "records"), build, [])
            return
        expected = await driver.rows(uow.session, ("test", "records"), build, params)
        ((records,),) = await driver.rows(uow.session, ("test", "aggregated"), aggregated, params)
        made = await driver.rows_like(uow.session, ("test", "records"), build, records)
    assert [row.name for row in made] == ["First", "Second"]
    assert made == expected
    assert [type(value) for row in made for value in row] == [
        type(value) for row in expected for value in row
    ]
    assert type(made[0]) is type(expected[0])
    assert isinstance(made[0].id, uuid.UUID)


async def test_a_statement_whose_values_the_engine_would_add_is_refused(engine: AsyncEngine) -> None:
    """rounding_mode, locale...: Python-side defaults that only the engine's execution context fills in.
    The driver path refuses such a statement when it compiles it (PostgreSQL); SQLite's goes through the
    session, which fills them."""
    table = cast(Table, m.Organization.__table__)
    params = {"id": new_id(), "name": f"Defaults {new_id()}", "created_at": utcnow()}

    def build() -> Any:
        columns = {name: bindparam(name, type_=table.c[name].type) for name in params}
        return insert(table).values(columns)

    async with UnitOfWork(engine) as uow:
        if engine.dialect.name == "postgresql":
            with pytest.raises(ValueError, match="names every value"):
                await driver.rows(uow.session, ("test", "defaults"), build, params)
            return
        await driver.rows(uow.session, ("test", "defaults"), build, params)
        organization = await uow.repo.organization(params["id"])
        assert organization.rounding_mode == "half_up"


async def test_the_kept_statements_are_bounded(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A statement's shape can follow what a client stored (an account's number format): the kept
    statements are the most recently used ones, never more than the bound."""
    organization = await _organization(engine, f"Driver bound {new_id()}")
    monkeypatch.setattr(driver, "CACHE_SIZE", 3)
    async with UnitOfWork(engine) as uow:
        for shape in range(6):
            found = await driver.rows(
                uow.session, ("test", "bound", shape), _record_select, {"organization_id": organization}
            )
            assert found == []
    kept = [name for name in driver._ENTRIES if name[:2] == ("test", "bound")]
    assert kept == [("test", "bound", 3), ("test", "bound", 4), ("test", "bound", 5)]
    assert len(driver._ENTRIES) <= 3


def _product_with_nothing() -> Any:
    """Every organization's product of a name (``name``), outer-joined to a product that is never there:
    a whole row, then a missing one."""
    products = cast(Table, m.Product.__table__)
    absent = products.alias("absent")
    return (
        select(*driver.columns_of(m.Product), *[absent.c[c.key] for c in driver.columns_of(m.Product)])
        .outerjoin(absent, absent.c.id == bindparam("nobody", type_=absent.c.id.type))
        .where(
            products.c.organization_id == bindparam("organization_id", type_=products.c.organization_id.type),
            products.c.name == bindparam("name", type_=products.c.name.type),
        )
    )


async def _stored_product(engine: AsyncEngine, organization: uuid.UUID, name: str, **extra: Any) -> m.Product:
    async with UnitOfWork(engine) as uow:
        product = m.Product(
            id=new_id(),
            organization_id=organization,
            name=name,
            idempotency_key=f"{name}-{new_id()}",
            created_at=utcnow(),
            **extra,
        )
        uow.session.add(product)
        await uow.commit()
    return product


async def test_whole_rows_become_the_sessions_own_objects(engine: AsyncEngine) -> None:
    """A row read on the driver becomes the session's object as the ORM's loading makes it: the same
    attributes, in the identity map, nothing to flush, and a change to it flushed as an UPDATE."""
    organization = await _organization(engine, f"Driver objects {new_id()}")
    product = await _stored_product(engine, organization, "Widget", default_unit_price=Decimal("12.345"))
    params = {"organization_id": organization, "name": "Widget", "nobody": new_id()}
    async with UnitOfWork(engine) as uow:
        (row,) = await driver.rows(uow.session, ("test", "objects"), _product_with_nothing, params)
        made, missing = driver.split(uow.session, row, [m.Product, m.Product])
        assert missing is None  # the outer join's absent row
        assert isinstance(made, m.Product)
        assert made in uow.session
        assert not uow.session.dirty
        # the ORM's own read finds the same object, with the same values
        loaded = await uow.repo.get(m.Product, organization, product.id)
        assert loaded is made
        reread = (
            await uow.session.execute(
                select(m.Product).where(m.Product.id == product.id).execution_options(populate_existing=True)
            )
        ).scalar_one()
        assert reread is made
        for column in driver.columns_of(m.Product):
            assert getattr(made, column.key) == getattr(product, column.key), column.key
        assert made.default_unit_price == Decimal("12.345")
        made.description = "changed"
        await uow.commit()
    async with UnitOfWork(engine) as uow:
        again = await uow.repo.get(m.Product, organization, product.id)
        assert again is not None
        assert again.description == "changed"


async def test_a_row_read_again_overwrites_the_sessions_object(engine: AsyncEngine) -> None:
    """As ``populate_existing``: the object the session holds gets the row's values (a row read under a
    lock is its latest version), its unflushed changes dropped."""
    organization = await _organization(engine, f"Driver again {new_id()}")
    product = await _stored_product(engine, organization, "Gadget")
    params = {"organization_id": organization, "name": "Gadget", "nobody": new_id()}
    async with UnitOfWork(engine) as uow:
        held = await uow.repo.get(m.Product, organization, product.id)
        assert held is not None
        held.description = "not flushed"
        (row,) = await driver.rows(uow.session, ("test", "objects"), _product_with_nothing, params)
        made, _ = driver.split(uow.session, row, [m.Product, m.Product])
        assert made is held
        assert held.description is None
        assert not uow.session.dirty
        with pytest.raises(ValueError, match="layout"):
            driver.split(uow.session, row, [m.Product])


async def test_a_commit_on_the_driver_ends_the_transaction_the_session_goes_on(engine: AsyncEngine) -> None:
    """With statements sent on the driver and nothing for the session to flush, the transaction is
    committed on the driver's connection; the session's next statement begins the next transaction, and
    its own commit still commits it."""
    organization = await _organization(engine, f"Driver commit {new_id()}")
    params = {"organization_id": organization}
    async with UnitOfWork(engine) as uow:
        await driver.rows(uow.session, ("test", "insert"), _record_insert, _record(organization, "first"))
        assert await driver.commit(uow.session) is (engine.dialect.name == "postgresql")
        if engine.dialect.name != "postgresql":
            await uow.session.commit()
        # seen from another transaction: committed
        async with UnitOfWork(engine) as other:
            seen = await driver.rows(other.session, ("test", "select"), _record_select, params)
            assert [row.key for row in seen] == ["first"]
        # the same unit of work goes on: the next transaction, ended by the session's own commit
        await driver.rows(uow.session, ("test", "insert"), _record_insert, _record(organization, "second"))
        uow.session.add(
            m.Product(
                id=new_id(),
                organization_id=organization,
                name="After",
                idempotency_key=f"after-{new_id()}",
                created_at=utcnow(),
            )
        )
        assert await driver.commit(uow.session) is False  # the session has an object to flush
        await uow.commit()
    async with UnitOfWork(engine) as uow:
        seen = await driver.rows(uow.session, ("test", "select"), _record_select, params)
        assert sorted(row.key for row in seen) == ["first", "second"]
        products = await uow.repo.products_by_names(organization, ["After"])
        assert [product.name for product in products] == ["After"]


async def test_work_rolled_back_after_a_driver_commit_keeps_what_was_committed(engine: AsyncEngine) -> None:
    organization = await _organization(engine, f"Driver commit rollback {new_id()}")
    params = {"organization_id": organization}
    async with UnitOfWork(engine) as uow:
        await driver.rows(uow.session, ("test", "insert"), _record_insert, _record(organization, "kept"))
        await uow.commit()
        await driver.rows(uow.session, ("test", "insert"), _record_insert, _record(organization, "dropped"))
        await uow.rollback()
        # and a failed statement after it: the session's error, the transaction rolled back
        with pytest.raises(IntegrityError):
            await driver.rows(uow.session, ("test", "insert"), _record_insert, _record(organization, "kept"))
        await uow.rollback()
    async with UnitOfWork(engine) as uow:
        seen = await driver.rows(uow.session, ("test", "select"), _record_select, params)
        assert [row.key for row in seen] == ["kept"]


def test_a_transient_object_is_what_the_constructor_makes() -> None:
    values: dict[str, Any] = {
        column.key: None for column in driver.columns_of(m.LineItem) if column.key != "quantity"
    }
    values.update(id=new_id(), organization_id=new_id(), name="Item", total_amount=Decimal("1.50"))
    made, built = driver.transient(m.LineItem, values), m.LineItem(**values)
    for column in driver.columns_of(m.LineItem):
        assert getattr(made, column.key) == getattr(built, column.key), column.key
    assert made.quantity is None  # not given: as the constructor leaves it
    with pytest.raises(TypeError, match="no column 'colour'"):
        driver.transient(m.LineItem, {**values, "colour": "red"})
