"""tenant keys: every key of a tenant table leads with organization_id

Every table that carries ``organization_id`` (a tenant table) gets:

* the primary key ``(organization_id, id)`` instead of ``(id)``;
* every unique constraint and every index led by ``organization_id`` (``ix_line_items_invoice``
  becomes ``(organization_id, invoice_id, position)``);
* foreign keys between tenant tables made composite: ``(organization_id, invoice_id)`` ->
  ``invoices (organization_id, id)``, so a row can only refer to rows of its own organization.

So the schema can be distributed by organization (Citus: a distributed table's primary key and unique
indexes must include the distribution column, and co-located foreign keys must include it too).

The one exception is ``api_keys.key_hash``, unique on its own: authentication finds the organization
from the key, before it knows the organization. ``api_keys`` gets the primary key
``(organization_id, id)`` like every tenant table, but under Citus it is a reference table (replicated
to every node, like ``organizations``), not a distributed one; it is small and read on every request.

The tables and keys are read from the database (not listed here), so a tenant table added by a
migration that runs before this one is brought in line too. On SQLite every table is rebuilt
(``batch_alter_table(recreate="always")``; the migration environment turns foreign-key enforcement off
while tables are rebuilt and checks every foreign key afterwards); on PostgreSQL the constraints are
altered in place, foreign keys dropped first and re-created last (they hang on the primary keys).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 15:00:00.000000
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT = "organization_id"
# (table, columns) allowed to be unique without organization_id: see the docstring.
GLOBAL_UNIQUE = {("api_keys", ("key_hash",))}
# Names the batch mode gives constraints SQLite reflects without one, so they can be dropped by name.
NAMING = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
}
# The indexes this migration re-leads with organization_id, as they were (for the downgrade).
OLD_INDEXES = {
    "ix_groups_invoice": ("line_item_groups", ["invoice_id", "position"]),
    "ix_line_items_invoice": ("line_items", ["invoice_id", "position"]),
    "ix_line_items_group": ("line_items", ["group_id"]),
    "ix_invoice_events_invoice": ("invoice_events", ["invoice_id", "id"]),
    "ix_payments_invoice": ("payments", ["invoice_id", "id"]),
}


@dataclass
class Plan:
    """What changes on one table."""

    pk_name: str | None
    pk_columns: list[str]
    # (name, column, referred table) of the single-column foreign keys to another tenant's table
    foreign_keys: list[tuple[str | None, str, str]] = field(default_factory=list)
    # (name, columns, unique) of the indexes not led by organization_id
    indexes: list[tuple[str, list[str], bool]] = field(default_factory=list)
    # (name, columns) of the unique constraints not led by organization_id
    uniques: list[tuple[str | None, list[str]]] = field(default_factory=list)


def _tenant_tables(inspector: Any) -> list[str]:
    return sorted(
        name
        for name in inspector.get_table_names()
        if TENANT in {column["name"] for column in inspector.get_columns(name)}
    )


def _plan(inspector: Any, table: str, tenants: set[str]) -> Plan:
    pk = inspector.get_pk_constraint(table)
    plan = Plan(pk.get("name"), list(pk["constrained_columns"]))
    for fk in inspector.get_foreign_keys(table):
        columns, referred = fk["constrained_columns"], fk["referred_table"]
        if referred in tenants and len(columns) == 1 and fk["referred_columns"] == ["id"]:
            plan.foreign_keys.append((fk.get("name"), columns[0], referred))
    for index in inspector.get_indexes(table):
        columns = list(index["column_names"])
        if index.get("duplicates_constraint") or not columns or columns[0] == TENANT:
            continue
        plan.indexes.append((index["name"], columns, bool(index["unique"])))
    for unique in inspector.get_unique_constraints(table):
        columns = list(unique["column_names"])
        if columns[0] == TENANT or (table, tuple(columns)) in GLOBAL_UNIQUE:
            continue
        plan.uniques.append((unique.get("name"), columns))
    return plan


def _fk_name(table: str, column: str) -> str:
    return f"fk_{table}_{column}"


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    tables = _tenant_tables(inspector)
    plans = {table: _plan(inspector, table, set(tables)) for table in tables}
    sqlite = _sqlite()
    if not sqlite:
        for table, plan in plans.items():
            for name, _, _ in plan.foreign_keys:
                op.drop_constraint(str(name), table, type_="foreignkey")  # PostgreSQL names them all
    for table, plan in plans.items():
        with op.batch_alter_table(
            table, recreate="always" if sqlite else "auto", naming_convention=NAMING
        ) as batch:
            if sqlite:
                for name, column, referred in plan.foreign_keys:
                    batch.drop_constraint(name or f"fk_{table}_{column}_{referred}", type_="foreignkey")
            if plan.pk_columns[:1] != [TENANT]:  # a table keyed by the organization alone keeps its key
                batch.drop_constraint(plan.pk_name or f"pk_{table}", type_="primary")
                batch.create_primary_key(f"{table}_pkey", [TENANT, "id"])
            for name, columns, unique in plan.indexes:
                batch.drop_index(name)
                batch.create_index(name, [TENANT, *[c for c in columns if c != TENANT]], unique=unique)
            for name, columns in plan.uniques:
                constraint = name or f"uq_{table}_{columns[0]}"
                batch.drop_constraint(constraint, type_="unique")
                batch.create_unique_constraint(constraint, [TENANT, *[c for c in columns if c != TENANT]])
            if sqlite:
                for _, column, referred in plan.foreign_keys:
                    batch.create_foreign_key(
                        _fk_name(table, column), referred, [TENANT, column], [TENANT, "id"]
                    )
    if not sqlite:
        for table, plan in plans.items():
            for _, column, referred in plan.foreign_keys:
                op.create_foreign_key(
                    _fk_name(table, column), table, referred, [TENANT, column], [TENANT, "id"]
                )


def downgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    tables = _tenant_tables(inspector)
    sqlite = _sqlite()
    composite = {
        table: [
            (fk["name"], fk["constrained_columns"][1], fk["referred_table"])
            for fk in inspector.get_foreign_keys(table)
            if fk["constrained_columns"][:1] == [TENANT] and len(fk["constrained_columns"]) == 2
        ]
        for table in tables
    }
    if not sqlite:
        for table, fks in composite.items():
            for name, _, _ in fks:
                op.drop_constraint(str(name), table, type_="foreignkey")
    for table in tables:
        pk = inspector.get_pk_constraint(table)
        pk_name = pk.get("name")
        if pk["constrained_columns"] != [TENANT, "id"]:
            continue  # not changed by the upgrade (keyed by the organization alone)
        with op.batch_alter_table(
            table, recreate="always" if sqlite else "auto", naming_convention=NAMING
        ) as batch:
            if sqlite:
                for name, _, referred in composite[table]:
                    batch.drop_constraint(name or f"fk_{table}_{TENANT}_{referred}", type_="foreignkey")
            batch.drop_constraint(pk_name or f"pk_{table}", type_="primary")
            batch.create_primary_key(f"{table}_pkey", ["id"])
            present = {index["name"] for index in inspector.get_indexes(table)}
            for name, (owner, columns) in OLD_INDEXES.items():
                if owner == table and name in present:  # a later migration may have replaced it
                    batch.drop_index(name)
                    batch.create_index(name, columns, unique=False)
            if sqlite:
                for _, column, referred in composite[table]:
                    batch.create_foreign_key(_fk_name(table, column), referred, [column], ["id"])
    if not sqlite:
        for table, fks in composite.items():
            for _, column, referred in fks:
                op.create_foreign_key(_fk_name(table, column), table, referred, [column], ["id"])
