"""line_items.organization_id held by the line's invoice alone: its own foreign key to organizations dropped

A line's ``(organization_id, invoice_id)`` refers to its invoice's ``(organization_id, id)``, and the
invoice's ``organization_id`` to its organization: the line's organization exists whenever its invoice
does, and neither can go while the line is there. The line's own foreign key to ``organizations``
checked nothing more, at the cost of a check (a query run for the row, and a row lock) for every line
written: in a 1,000-line bulk create the foreign-key checks were 31.8 % of PostgreSQL's backends'
samples with it and 26.2 % without (perf, one run each).

On SQLite the table is rebuilt without it (batch mode; the migration environment turns enforcement
off while tables are rebuilt and checks every foreign key afterwards).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Names the batch mode gives constraints SQLite reflects without one (as migration 0010's).
NAMING = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
}
POSTGRESQL_NAME = "line_items_organization_id_fkey"


def _organization_key() -> str | None:
    """The name of ``line_items (organization_id) -> organizations (id)``, as the database reflects it."""
    for key in sa.inspect(op.get_bind()).get_foreign_keys("line_items"):
        if key["referred_table"] == "organizations" and key["constrained_columns"] == ["organization_id"]:
            return key["name"] or "fk_line_items_organization_id_organizations"
    return None


def upgrade() -> None:
    name = _organization_key()
    if name is None:
        return
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("line_items", recreate="always", naming_convention=NAMING) as batch:
            batch.drop_constraint(name, type_="foreignkey")
    else:
        op.drop_constraint(name, "line_items", type_="foreignkey")


def downgrade() -> None:
    if _organization_key() is not None:
        return
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("line_items", recreate="always", naming_convention=NAMING) as batch:
            batch.create_foreign_key(
                "fk_line_items_organization_id_organizations", "organizations", ["organization_id"], ["id"]
            )
    else:
        op.create_foreign_key(POSTGRESQL_NAME, "line_items", "organizations", ["organization_id"], ["id"])
