"""document data: what EN 16931 needs, the parties frozen at issue, hosted invoice links

* ``organizations.locale`` and ``customers.locale`` (BCP 47): the documents' language (a customer's
  NULL means the organization's);
* issuing accounts: VAT id (BT-31), legal registration id (BT-30), contact (BG-6), payment account
  (IBAN BT-84, BIC BT-86) and electronic address (BT-34 with its EAS scheme); customers: electronic
  address (BT-49);
* invoices: buyer reference (BT-10), purchase order (BT-13), delivery date and country (BT-72, BT-80),
  ``parties`` (the seller's and buyer's details copied at issue, JSON) and ``hosted_token`` (the
  unguessable token of the hosted invoice page, unique on its own like ``api_keys.key_hash``: the page
  is opened without an API key, so the token is what finds the invoice and its organization);
* line items: ``unit_code`` (UN/ECE Recommendation 20, default ``C62``, "one").

Invoices already issued get a hosted token here (192 random bits each).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 15:40:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNISSUED = ("draft", "in_review", "canceled")


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch:
        batch.add_column(sa.Column("locale", sa.String(35), nullable=False, server_default="en"))
    with op.batch_alter_table("issuing_accounts", schema=None) as batch:
        batch.add_column(sa.Column("vat_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("legal_registration_id", sa.String(100), nullable=True))
        batch.add_column(sa.Column("contact_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("contact_phone", sa.String(50), nullable=True))
        batch.add_column(sa.Column("contact_email", sa.String(254), nullable=True))
        batch.add_column(sa.Column("iban", sa.String(34), nullable=True))
        batch.add_column(sa.Column("bic", sa.String(11), nullable=True))
        batch.add_column(sa.Column("electronic_address", sa.String(200), nullable=True))
        batch.add_column(sa.Column("electronic_address_scheme", sa.String(4), nullable=True))
    with op.batch_alter_table("customers", schema=None) as batch:
        batch.add_column(sa.Column("electronic_address", sa.String(200), nullable=True))
        batch.add_column(sa.Column("electronic_address_scheme", sa.String(4), nullable=True))
        batch.add_column(sa.Column("locale", sa.String(35), nullable=True))
    with op.batch_alter_table("invoices", schema=None) as batch:
        batch.add_column(sa.Column("buyer_reference", sa.String(200), nullable=True))
        batch.add_column(sa.Column("purchase_order", sa.String(200), nullable=True))
        batch.add_column(sa.Column("delivery_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("delivery_country", sa.String(2), nullable=True))
        batch.add_column(sa.Column("parties", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("hosted_token", sa.String(64), nullable=True))
        batch.create_index("uq_invoices_hosted_token", ["hosted_token"], unique=True)
    with op.batch_alter_table("line_items", schema=None) as batch:
        batch.add_column(sa.Column("unit_code", sa.String(3), nullable=False, server_default="C62"))
    _issued_invoices_get_tokens()


def _issued_invoices_get_tokens() -> None:
    bind = op.get_bind()
    invoices = sa.table(
        "invoices",
        sa.column("organization_id", sa.Uuid()),
        sa.column("id", sa.Uuid()),
        sa.column("status", sa.String()),
        sa.column("hosted_token", sa.String()),
    )
    rows = bind.execute(
        sa.select(invoices.c.organization_id, invoices.c.id).where(invoices.c.status.not_in(UNISSUED))
    ).all()
    for organization_id, invoice_id in rows:
        bind.execute(
            invoices.update()
            .where(invoices.c.organization_id == organization_id, invoices.c.id == invoice_id)
            .values(hosted_token=secrets.token_urlsafe(24))
        )


def downgrade() -> None:
    with op.batch_alter_table("line_items", schema=None) as batch:
        batch.drop_column("unit_code")
    with op.batch_alter_table("invoices", schema=None) as batch:
        batch.drop_index("uq_invoices_hosted_token")
        for name in (
            "hosted_token",
            "parties",
            "delivery_country",
            "delivery_date",
            "purchase_order",
            "buyer_reference",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("customers", schema=None) as batch:
        for name in ("locale", "electronic_address_scheme", "electronic_address"):
            batch.drop_column(name)
    with op.batch_alter_table("issuing_accounts", schema=None) as batch:
        for name in (
            "electronic_address_scheme",
            "electronic_address",
            "bic",
            "iban",
            "contact_email",
            "contact_phone",
            "contact_name",
            "legal_registration_id",
            "vat_id",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("organizations", schema=None) as batch:
        batch.drop_column("locale")
