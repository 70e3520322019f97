"""credit notes, their lines, refunds; the invoice's credited, refunded and reduced amounts

* ``credit_notes``: a numbered correction of an issued invoice (its own gapless series per issuing
  account), its amounts, how its total was settled (refund, credit to the customer's balance, out of
  band, reduction of the invoice's amount remaining) and, when it credited the balance, the ledger grant
  it wrote (``credit_entry_id``, so a void can take exactly that credit back).
* ``credit_note_lines``: what each note credits: a part of an invoice line (``line_item_id``) or a plain
  amount at one of the invoice's rates, with its tax and the base its tax was worked out on.
* ``refunds``: money paid back on an invoice's payments, recorded by a credit note's ``refundAmount``.
* ``invoices``: running sums of its live credit notes (``credited_amount`` = their totals,
  ``reduced_amount`` = the parts that reduced the amount remaining) and of its refunds
  (``refunded_amount``); ``amountRemaining`` = amountDue − amountPaid − reduced_amount.
* ``issuing_accounts``: the credit note numbering (``credit_note_number_prefix``, default ``CN``, and
  ``credit_note_number_format``, default ``{prefix}-{yyyy}-{seq:06}``).

Idempotency keys are scoped to the invoice, as payments' are (``POST /v1/invoices/{id}/credit-notes``).
Every new table is a tenant table: primary key ``(organization_id, id)``, unique indexes led by
``organization_id`` and composite foreign keys ``(organization_id, x_id)`` -> ``(organization_id, id)``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 15:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import billfold.db.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AMOUNT = billfold.db.types.ExactDecimal


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organization_id", column],
        [f"{target}.organization_id", f"{target}.id"],
        name=f"fk_{table}_{column}",
    )


def _amounts() -> list[sa.Column[Any]]:
    names = ("subtotal", "discount", "adjustment", "net", "tax", "total")
    return [sa.Column(f"{name}_amount", AMOUNT(), nullable=False) for name in names]


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        for name in ("credited_amount", "refunded_amount", "reduced_amount"):
            batch_op.add_column(sa.Column(name, AMOUNT(), nullable=False, server_default="0"))
    with op.batch_alter_table("issuing_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("credit_note_number_prefix", sa.String(40), nullable=False, server_default="CN")
        )
        batch_op.add_column(
            sa.Column(
                "credit_note_number_format",
                sa.String(100),
                nullable=False,
                server_default="{prefix}-{yyyy}-{seq:06}",
            )
        )
    op.create_table(
        "credit_notes",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("issuing_account_id", sa.Uuid(), nullable=False),
        sa.Column("credit_entry_id", sa.Uuid(), nullable=True),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        *_amounts(),
        sa.Column("refund_amount", AMOUNT(), nullable=False),
        sa.Column("credit_amount", AMOUNT(), nullable=False),
        sa.Column("out_of_band_amount", AMOUNT(), nullable=False),
        sa.Column("reduction_amount", AMOUNT(), nullable=False),
        sa.Column("tax_summary", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.Column("voided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        _fk("credit_notes", "invoice_id", "invoices"),
        _fk("credit_notes", "customer_id", "customers"),
        _fk("credit_notes", "issuing_account_id", "issuing_accounts"),
        _fk("credit_notes", "credit_entry_id", "credit_entries"),
        sa.PrimaryKeyConstraint("organization_id", "id"),
        sa.UniqueConstraint("organization_id", "invoice_id", "idempotency_key", name="uq_credit_notes_idem"),
    )
    op.create_index(
        "uq_credit_notes_number",
        "credit_notes",
        ["organization_id", "issuing_account_id", "number"],
        unique=True,
    )
    op.create_index("ix_credit_notes_invoice", "credit_notes", ["organization_id", "invoice_id", "id"])
    op.create_index("ix_credit_notes_customer", "credit_notes", ["organization_id", "customer_id", "id"])
    op.create_table(
        "credit_note_lines",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("credit_note_id", sa.Uuid(), nullable=False),
        sa.Column("line_item_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", AMOUNT(), nullable=True),
        *_amounts(),
        sa.Column("base_amount", AMOUNT(), nullable=False),
        sa.Column("tax_category_id", sa.String(64), nullable=True),
        sa.Column("tax_rate", AMOUNT(), nullable=True),
        sa.Column("tax_inclusive", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        _fk("credit_note_lines", "credit_note_id", "credit_notes"),
        _fk("credit_note_lines", "line_item_id", "line_items"),
        sa.PrimaryKeyConstraint("organization_id", "id"),
    )
    op.create_index(
        "ix_credit_note_lines_note", "credit_note_lines", ["organization_id", "credit_note_id", "position"]
    )
    op.create_table(
        "refunds",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("credit_note_id", sa.Uuid(), nullable=True),
        sa.Column("amount", AMOUNT(), nullable=False),
        sa.Column("refund_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        _fk("refunds", "invoice_id", "invoices"),
        _fk("refunds", "credit_note_id", "credit_notes"),
        sa.PrimaryKeyConstraint("organization_id", "id"),
        sa.UniqueConstraint("organization_id", "invoice_id", "idempotency_key", name="uq_refunds_idem"),
    )
    op.create_index("ix_refunds_invoice", "refunds", ["organization_id", "invoice_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_refunds_invoice", table_name="refunds")
    op.drop_table("refunds")
    op.drop_index("ix_credit_note_lines_note", table_name="credit_note_lines")
    op.drop_table("credit_note_lines")
    op.drop_index("ix_credit_notes_customer", table_name="credit_notes")
    op.drop_index("ix_credit_notes_invoice", table_name="credit_notes")
    op.drop_index("uq_credit_notes_number", table_name="credit_notes")
    op.drop_table("credit_notes")
    with op.batch_alter_table("issuing_accounts", schema=None) as batch_op:
        batch_op.drop_column("credit_note_number_format")
        batch_op.drop_column("credit_note_number_prefix")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        for name in ("reduced_amount", "refunded_amount", "credited_amount"):
            batch_op.drop_column(name)
