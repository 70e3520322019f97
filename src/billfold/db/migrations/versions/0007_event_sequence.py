"""event sequence: invoice events numbered per organization

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01 14:50:00

Existing events are numbered per organization in (created_at, id) order, except that within one
timestamp ``created`` comes first and ``paid`` last (an invoice paid on issue wrote ``issued`` and
``paid`` in the same millisecond, with ids in random order). Each organization's counter starts after
its last number.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_counters",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("last_value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("organization_id"),
    )
    with op.batch_alter_table("invoice_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.BigInteger(), nullable=True))
    op.execute(
        """
        UPDATE invoice_events SET sequence = numbered.n
        FROM (
            SELECT id, ROW_NUMBER() OVER (
                PARTITION BY organization_id
                ORDER BY created_at,
                         CASE type WHEN 'created' THEN 0 WHEN 'paid' THEN 2 ELSE 1 END,
                         id
            ) AS n
            FROM invoice_events
        ) AS numbered
        WHERE numbered.id = invoice_events.id
        """
    )
    op.execute(
        """
        INSERT INTO event_counters (organization_id, last_value)
        SELECT organization_id, MAX(sequence) FROM invoice_events GROUP BY organization_id
        """
    )
    with op.batch_alter_table("invoice_events", schema=None) as batch_op:
        batch_op.alter_column("sequence", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_index("ix_invoice_events_invoice")
        batch_op.create_index(
            "ix_invoice_events_invoice_sequence", ["organization_id", "invoice_id", "sequence"], unique=False
        )
        batch_op.create_unique_constraint("uq_invoice_events_sequence", ["organization_id", "sequence"])


def downgrade() -> None:
    with op.batch_alter_table("invoice_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_invoice_events_sequence", type_="unique")
        batch_op.drop_index("ix_invoice_events_invoice_sequence")
        batch_op.create_index("ix_invoice_events_invoice", ["invoice_id", "id"], unique=False)
        batch_op.drop_column("sequence")
    op.drop_table("event_counters")
