"""running sums per cell; neutral stored data

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-01 15:00:00

Invoices keep running sums per cell (``running_sums``, see billfold.core.running) instead of per-rate
``tax_bases``. The old sums cannot tell which lines a covering adjustment covers, so a draft's sums are
rebuilt from its lines on its next write (``recalculate_all``); reads calculate from the lines anyway.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("running_sums", sa.JSON(), nullable=True))
    invoices = sa.table("invoices", sa.column("frozen", sa.Boolean), sa.column("recalculate_all", sa.Boolean))
    op.execute(invoices.update().where(invoices.c.frozen == sa.false()).values(recalculate_all=True))
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("tax_bases")


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_bases", sa.JSON(), nullable=True))
    invoices = sa.table("invoices", sa.column("frozen", sa.Boolean), sa.column("recalculate_all", sa.Boolean))
    op.execute(invoices.update().where(invoices.c.frozen == sa.false()).values(recalculate_all=True))
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("running_sums")
