"""events as an outbox: resource, dotted types, payload; webhook endpoints, deliveries and attempts

``invoice_events`` becomes every resource's event log: ``resource_type`` and ``resource_id`` name what
changed (existing rows: the invoice), ``invoice_id`` may be empty (a customer's credit balance), the
types move to ``resource.action`` (``issued`` -> ``invoice.issued``, ``void`` -> ``invoice.voided``) and
``payload`` keeps the resource as rendered when the event was recorded (empty on existing rows).
Every new table is a tenant table keyed
``(organization_id, id)``.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMES = {
    "created": "invoice.created",
    "in_review": "invoice.in_review",
    "reopened": "invoice.reopened",
    "issued": "invoice.issued",
    "paid": "invoice.paid",
    "payment_recorded": "invoice.payment_recorded",
    "void": "invoice.voided",
    "canceled": "invoice.canceled",
}
PENDING = sa.text("status = 'pending'")


def _rename(pairs: dict[str, str]) -> None:
    for old, new in pairs.items():
        op.execute(
            sa.text("UPDATE invoice_events SET type = :new WHERE type = :old").bindparams(old=old, new=new)
        )


def upgrade() -> None:
    with op.batch_alter_table("invoice_events") as batch:
        batch.add_column(sa.Column("resource_type", sa.String(40), nullable=True))
        batch.add_column(sa.Column("resource_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("payload", sa.JSON(none_as_null=True), nullable=True))
        batch.alter_column("type", existing_type=sa.String(40), type_=sa.String(60))
    op.execute("UPDATE invoice_events SET resource_type = 'invoice', resource_id = invoice_id")
    _rename(RENAMES)
    with op.batch_alter_table("invoice_events") as batch:
        batch.alter_column("resource_type", existing_type=sa.String(40), nullable=False)
        batch.alter_column("resource_id", existing_type=sa.Uuid(), nullable=False)
        batch.alter_column("invoice_id", existing_type=sa.Uuid(), nullable=True)
        batch.create_index(
            "ix_invoice_events_resource", ["organization_id", "resource_type", "resource_id", "sequence"]
        )
        batch.create_index("ix_invoice_events_type", ["organization_id", "type", "sequence"])

    op.create_table(
        "webhook_endpoints",
        sa.Column("organization_id", sa.Uuid(), sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("enabled_events", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("previous_secret", sa.String(100), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(), nullable=True),
        sa.Column("failing_since", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "id", name="pk_webhook_endpoints"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("organization_id", sa.Uuid(), sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_sequence", sa.BigInteger(), nullable=False),
        sa.Column("ordering_key", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "id", name="pk_webhook_deliveries"),
        sa.ForeignKeyConstraint(
            ["organization_id", "endpoint_id"],
            ["webhook_endpoints.organization_id", "webhook_endpoints.id"],
            name="fk_webhook_deliveries_endpoint_id",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id", "event_id"],
            ["invoice_events.organization_id", "invoice_events.id"],
            name="fk_webhook_deliveries_event_id",
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["organization_id", "next_attempt_at"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.create_index(
        "ix_webhook_deliveries_key",
        "webhook_deliveries",
        ["organization_id", "endpoint_id", "ordering_key", "event_sequence"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint", "webhook_deliveries", ["organization_id", "endpoint_id", "id"]
    )
    op.create_index("ix_webhook_deliveries_event", "webhook_deliveries", ["organization_id", "event_id"])
    op.create_table(
        "webhook_attempts",
        sa.Column("organization_id", sa.Uuid(), sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("response_snippet", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "id", name="pk_webhook_attempts"),
        sa.ForeignKeyConstraint(
            ["organization_id", "delivery_id"],
            ["webhook_deliveries.organization_id", "webhook_deliveries.id"],
            name="fk_webhook_attempts_delivery_id",
        ),
    )
    op.create_index(
        "ix_webhook_attempts_delivery", "webhook_attempts", ["organization_id", "delivery_id", "id"]
    )


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
    op.execute("DELETE FROM invoice_events WHERE invoice_id IS NULL")
    _rename({new: old for old, new in RENAMES.items()})
    with op.batch_alter_table("invoice_events") as batch:
        batch.drop_index("ix_invoice_events_type")
        batch.drop_index("ix_invoice_events_resource")
        batch.alter_column("invoice_id", existing_type=sa.Uuid(), nullable=False)
        batch.drop_column("payload")
        batch.drop_column("resource_id")
        batch.drop_column("resource_type")
        batch.alter_column("type", existing_type=sa.String(60), type_=sa.String(40))
