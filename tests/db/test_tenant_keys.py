"""Every key of a tenant's table includes ``organization_id``, read from the schema the migrations built.

DESIGN.md ("Persistence and scale"): every table carries ``organization_id``, and every primary key,
unique index and foreign key includes it, so the schema can be distributed by organization (Citus).
The one documented exception: ``api_keys.key_hash`` is unique on its own, because authentication finds
the organization from the key (``api_keys`` would be a Citus reference table, like ``organizations``;
see migration 0010's docstring).
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.app import create_app
from billfold.db import models as m
from billfold.db.engine import make_engine
from billfold.db.migrate import alembic_config, upgrade
from billfold.db.numbering import LockNeeded
from billfold.db.repository import Repository
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization
from conftest import _postgres_database

TENANT = "organization_id"
NOT_TENANT = {"organizations", "alembic_version"}
GLOBAL_UNIQUE = {
    ("api_keys", ("key_hash",)),
    # the hosted invoice page is opened without an API key: its token finds the invoice (migration 0011)
    ("invoices", ("hosted_token",)),
}


def _schema(connection: sa.Connection) -> dict[str, dict[str, Any]]:
    inspector = sa.inspect(connection)
    return {
        table: {
            "columns": [column["name"] for column in inspector.get_columns(table)],
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "fks": inspector.get_foreign_keys(table),
            "indexes": inspector.get_indexes(table),
            "uniques": inspector.get_unique_constraints(table),
        }
        for table in inspector.get_table_names()
    }


async def _read_schema(engine: AsyncEngine) -> dict[str, dict[str, Any]]:
    async with engine.connect() as connection:
        return await connection.run_sync(_schema)


async def test_every_table_but_organizations_is_a_tenant_table(engine: AsyncEngine) -> None:
    schema = await _read_schema(engine)
    assert set(schema) > NOT_TENANT
    assert [
        table for table in schema if table not in NOT_TENANT and TENANT not in schema[table]["columns"]
    ] == []


async def test_every_primary_key_is_organization_then_id(engine: AsyncEngine) -> None:
    schema = await _read_schema(engine)
    keys = {table: info["pk"] for table, info in schema.items() if TENANT in info["columns"]}
    assert len(keys) >= 15
    # a table with one row per organization (event_counters) is keyed by the organization alone; the
    # idempotency records by what finds them (migration 0015)
    natural = {"event_counters": [TENANT], "idempotency_records": [TENANT, "scope", "key"]}
    expected = {table: natural.get(table, [TENANT, "id"]) for table in keys}
    assert {table: pk for table, pk in keys.items() if pk != expected[table]} == {}
    assert schema["organizations"]["pk"] == ["id"]


async def test_every_unique_constraint_and_index_leads_with_the_organization(engine: AsyncEngine) -> None:
    schema = await _read_schema(engine)
    offenders = []
    global_unique = []
    for table, info in schema.items():
        if TENANT not in info["columns"]:
            continue
        keyed = [(u["name"], u["column_names"], True) for u in info["uniques"]]
        keyed += [(i["name"], i["column_names"], bool(i["unique"])) for i in info["indexes"]]
        for name, columns, unique in keyed:
            if columns[0] == TENANT:
                continue
            if unique and (table, tuple(columns)) in GLOBAL_UNIQUE:
                global_unique.append(table)
                continue
            offenders.append((table, name, columns))
    assert offenders == []
    # the documented exception is still there, and unique: authentication depends on it
    assert "api_keys" in global_unique


async def test_every_foreign_key_between_tenant_tables_includes_the_organization(engine: AsyncEngine) -> None:
    schema = await _read_schema(engine)
    tenants = {table for table, info in schema.items() if TENANT in info["columns"]}
    found, offenders = 0, []
    for table in tenants:
        for fk in schema[table]["fks"]:
            if fk["referred_table"] not in tenants:
                assert fk["referred_table"] == "organizations"
                assert fk["constrained_columns"] == [TENANT]
                continue
            found += 1
            columns = fk["constrained_columns"]
            if columns[0] != TENANT or len(columns) != 2 or fk["referred_columns"] != [TENANT, "id"]:
                offenders.append((table, columns, fk["referred_table"], fk["referred_columns"]))
    assert found >= 18
    assert offenders == []


async def test_the_models_declare_the_keys_the_migrations_built(engine: AsyncEngine) -> None:
    schema = await _read_schema(engine)
    for table in m.Base.metadata.sorted_tables:
        assert [c.name for c in table.primary_key.columns] == schema[table.name]["pk"], table.name
        declared = sorted(
            ([c.name for c in fk.columns], fk.referred_table.name, [e.column.name for e in fk.elements])
            for fk in table.foreign_key_constraints
        )
        built = sorted(
            (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
            for fk in schema[table.name]["fks"]
        )
        assert declared == built, table.name


async def test_a_row_cannot_refer_to_another_organizations_row(engine: AsyncEngine, api: Any) -> None:
    """The composite foreign key itself refuses a cross-organization reference (not only the queries)."""
    customer = await api.create("/v1/customers", {"name": "Acme", "currency": "USD"})
    async with UnitOfWork(engine) as uow:
        other, _ = await create_organization(uow, "Other tenant")
        await uow.commit()
    async with engine.begin() as connection:
        statement = sa.insert(m.CreditEntry.__table__).values(
            id=uuid.uuid4(),
            organization_id=other.id,
            customer_id=uuid.UUID(str(customer["id"])),
            currency="USD",
            amount=Decimal("1.00"),
            kind="grant",
            created_at=sa.func.current_timestamp(),
        )
        with pytest.raises(sa.exc.IntegrityError):
            await connection.execute(statement)


# -- the migration on a database that already holds data ------------------------------------------


def _previous_revision() -> str:
    down = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision("0010").down_revision
    assert isinstance(down, str)
    return down


async def _no_event(*_args: Any, **_kwargs: Any) -> None:
    return None


async def _populate(url: str) -> dict[str, int]:
    """An organization with a customer, an invoice, a group and a grouped line, made through the API
    on the schema before migration 0010; the number of rows of each table. Events and idempotency
    records are not written: that schema's events table predates the outbox's columns (migration 0013)
    and its idempotency records had an ``id`` (migration 0015), and neither is what migration 0010 is
    about. Lines are added locking (the unlocked add reads the webhook deliveries, of migration 0013) and
    send no answer (``line_items.answer`` is migration 0014's)."""
    engine = make_engine(url)
    try:
        with (
            mock.patch("billfold.services.line_items.unlocked_read", return_value=None),
            mock.patch("billfold.services.line_items._create_unlocked", _lock_needed),
            mock.patch("billfold.services.line_items.keep_answer"),
            mock.patch.object(Repository, "add_events", _no_event),
            mock.patch("billfold.services.invoices.invoice_updated", _no_event),
            mock.patch("billfold.web.plumbing.idempotency.remember", _no_event),
        ):
            return await _populate_rows(engine)
    finally:
        await engine.dispose()


async def _lock_needed(*_: object, **__: object) -> None:
    raise LockNeeded


async def _populate_rows(engine: AsyncEngine) -> dict[str, int]:
    async with UnitOfWork(engine) as uow:
        _, key = await create_organization(uow, "Before the migration")
        await uow.commit()
    transport = httpx.ASGITransport(app=create_app(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://billfold.test") as client:
        headers = {"X-API-KEY": key}
        customer = (
            await client.post("/v1/customers", json={"name": "A", "currency": "USD"}, headers=headers)
        ).json()
        invoice = (
            await client.post(
                "/v1/invoices",
                json={"customerId": customer["id"], "invoiceDate": "2026-03-15"},
                headers=headers,
            )
        ).json()
        base = f"/v1/invoices/{invoice['id']}"
        group = (await client.post(f"{base}/line-item-groups", json={"name": "G"}, headers=headers)).json()
        line = {"name": "W", "quantity": "2", "unitPrice": "1.50", "lineItemGroupId": group["id"]}
        assert (await client.post(f"{base}/line-items", json=line, headers=headers)).status_code == 201
    return await _counts(engine)


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    tables = [
        "organizations",
        "api_keys",
        "customers",
        "payment_accounts",
        "invoices",
        "line_item_groups",
        "line_items",
    ]
    async with engine.connect() as connection:
        return {
            t: (await connection.execute(sa.text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in tables
        }


async def _after(url: str) -> tuple[dict[str, int], dict[str, dict[str, Any]]]:
    engine = make_engine(url)
    try:
        return await _counts(engine), await _read_schema(engine)
    finally:
        await engine.dispose()


async def _later_columns(url: str, *, add: bool) -> None:
    """Columns of the populated tables that migrations after 0010 add: added (nullable) so the current
    code can write its rows on the old schema, and dropped again before the migrations run."""
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:

            def alter(sync: sa.Connection) -> None:
                inspector = sa.inspect(sync)
                for table in m.Base.metadata.sorted_tables:
                    if table.name not in POPULATED:
                        continue
                    present = {c["name"] for c in inspector.get_columns(table.name)}
                    for column in table.columns:
                        if add and column.name not in present:
                            LATER.setdefault(table.name, set()).add(column.name)
                            kind = column.type.compile(dialect=sync.dialect)
                            sync.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))
                        elif not add and column.name in LATER.get(table.name, set()):
                            sync.execute(sa.text(f"ALTER TABLE {table.name} DROP COLUMN {column.name}"))

            await connection.run_sync(alter)
    finally:
        await engine.dispose()


POPULATED = {"organizations", "api_keys", "customers", "payment_accounts", "issuing_accounts", "invoices"}
POPULATED |= {"line_item_groups", "line_items", "invoice_events", "products"}
LATER: dict[str, set[str]] = {}


def _migrate_with_rows(url: str) -> None:
    upgrade(url, _previous_revision())
    LATER.clear()
    asyncio.run(_later_columns(url, add=True))
    before = asyncio.run(_populate(url))
    asyncio.run(_later_columns(url, add=False))
    upgrade(url)
    after, schema = asyncio.run(_after(url))
    assert after == before
    assert before["line_items"] == 1
    assert schema["line_items"]["pk"] == [TENANT, "id"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_keeps_existing_rows(backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        _migrate_with_rows(f"sqlite+aiosqlite:///{tmp_path / 'before.db'}")
        return
    for url in _postgres_database():
        _migrate_with_rows(url)
