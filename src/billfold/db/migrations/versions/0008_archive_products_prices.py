"""archive products and prices

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # When the product or price was archived; NULL while it is active (every existing row).
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
