"""credit_entries.remaining: what each grant still holds, so credit is read without the uses

Issuing an invoice with credit, and every ``customer.credit_balance_changed`` payload, read the
customer's whole ledger to work out each grant's balance: every use any invoice ever took. A customer
billed monthly for years paid for all of them at each issue. A grant now keeps its balance in
``remaining`` (``NULL`` once nothing remains, and for entries that are not grants), moved by whoever
writes an entry that references it; the grants are found by a partial index on them alone, an
invoice's own entries by ``(organization_id, invoice_id)``, and the ledger (now listed a page at a time,
newest first) by ``(organization_id, customer_id, id)`` instead of by currency.

The existing grants' balances are worked out here from the entries that reference them (``reason`` is
``grant:<grant id>``), as the ledger has always read them.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 13:20:00
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

import billfold.db.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANT_REFERENCE = "grant:"


def upgrade() -> None:
    with op.batch_alter_table("credit_entries") as batch:
        batch.add_column(sa.Column("remaining", billfold.db.types.ExactDecimal(), nullable=True))
        batch.create_index(
            "ix_credit_entries_grants",
            ["organization_id", "customer_id", "currency"],
            unique=False,
            postgresql_where=sa.text("kind = 'grant'"),
            sqlite_where=sa.text("kind = 'grant'"),
        )
        batch.create_index("ix_credit_entries_invoice", ["organization_id", "invoice_id"], unique=False)
        # the ledger's pages, newest first: by id within the customer (was: by currency)
        batch.drop_index("ix_credit_entries_customer")
        batch.create_index(
            "ix_credit_entries_customer", ["organization_id", "customer_id", "id"], unique=False
        )
    entries = sa.table(
        "credit_entries",
        sa.column("id", sa.Uuid()),
        sa.column("organization_id", sa.Uuid()),
        sa.column("amount", billfold.db.types.ExactDecimal()),
        sa.column("kind", sa.String()),
        sa.column("reason", sa.Text()),
        sa.column("remaining", billfold.db.types.ExactDecimal()),
    )
    bind = op.get_bind()
    grants: dict[str, tuple[object, object, Decimal]] = {}  # id -> organization, id, amount
    moved: dict[str, Decimal] = {}  # grant id -> the sum of the entries that reference it
    columns = (entries.c.id, entries.c.organization_id, entries.c.amount, entries.c.kind, entries.c.reason)
    for row in bind.execute(sa.select(*columns).execution_options(yield_per=5000)):
        if row.kind == "grant":
            if row.amount > 0:
                grants[str(row.id)] = (row.organization_id, row.id, row.amount)
        elif row.reason and row.reason.startswith(GRANT_REFERENCE):
            grant_id = row.reason.removeprefix(GRANT_REFERENCE)
            moved[grant_id] = moved.get(grant_id, Decimal(0)) + row.amount
    for grant_id, (organization_id, row_id, amount) in grants.items():
        remaining = amount + moved.get(grant_id, Decimal(0))
        if remaining != 0:
            bind.execute(
                entries.update()
                .where(entries.c.organization_id == organization_id, entries.c.id == row_id)
                .values(remaining=remaining)
            )


def downgrade() -> None:
    with op.batch_alter_table("credit_entries") as batch:
        batch.drop_index("ix_credit_entries_customer")
        batch.create_index(
            "ix_credit_entries_customer", ["organization_id", "customer_id", "currency"], unique=False
        )
        batch.drop_index("ix_credit_entries_invoice")
        batch.drop_index("ix_credit_entries_grants")
        batch.drop_column("remaining")
