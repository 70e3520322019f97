"""ORM models. Every row belongs to an organization: a tenant table's primary key is
``(organization_id, id)``, and its unique indexes and its foreign keys to other tenant tables lead with
``organization_id`` (migration 0010; the one exception, ``api_keys.key_hash``, is explained there).

Relationships are not declared: every load is an explicit query in a repository (DESIGN.md rule 8).
Amounts are stored exactly (:class:`ExactDecimal`); group and invoice amounts are running sums kept up to
date by the writes that change their lines, so no write re-reads every line of an invoice.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from billfold.db.types import ExactDecimal

# Python None is stored as SQL NULL (not the JSON text 'null'), so reading an empty column costs nothing.
NullableJSON = JSON(none_as_null=True)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's documented class attribute
        Decimal: ExactDecimal(),
        uuid.UUID: Uuid(),
        datetime: DateTime(timezone=False),
        date: Date(),
    }


def _org_fk() -> Any:
    """A tenant table's ``organization_id``: the first column of its primary key ``(organization_id, id)``
    (``sort_order`` puts it before ``id``), so the schema can be distributed by organization."""
    return mapped_column(ForeignKey("organizations.id"), primary_key=True, sort_order=-1)


def _org_key() -> Any:
    """A tenant table's ``organization_id`` held by another foreign key that includes it (a line's, by
    its invoice's ``(organization_id, id)``, whose own organization is checked): no check of its own
    (migration 0019)."""
    return mapped_column(primary_key=True, sort_order=-1)


def _tenant_fk(table: str, column: str, target: str) -> ForeignKeyConstraint:
    """``table (organization_id, column)`` -> ``target (organization_id, id)``: a row refers only to rows
    of its own organization."""
    return ForeignKeyConstraint(
        ["organization_id", column],
        [f"{target}.organization_id", f"{target}.id"],
        name=f"fk_{table}_{column}",
    )


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    rounding_mode: Mapped[str] = mapped_column(String(16), default="half_up")
    # "document": tax per rate on the invoice's sum (EN 16931); "line": tax rounded on every line
    tax_rounding: Mapped[str] = mapped_column(String(16), default="document", server_default="document")
    default_tax_category_id: Mapped[uuid.UUID | None]
    # IANA time zone whose date is "today" (default dates, overdue, credit availability)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # BCP 47 tag: the language of its documents (a customer's own locale overrides it)
    locale: Mapped[str] = mapped_column(String(35), default="en", server_default="en")
    created_at: Mapped[datetime]


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    # what the key is for ("CI", "billing worker"); optional
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    # set once when the key is revoked; a revoked key authenticates nothing from then on
    revoked_at: Mapped[datetime | None]


class _BillingDetails:
    """Legal and address details shared by issuing accounts, customers and payment accounts."""

    trade_name: Mapped[str | None] = mapped_column(String(200))
    business_name: Mapped[str | None] = mapped_column(String(200))
    emails: Mapped[list[str]] = mapped_column(NullableJSON, default=list)
    tax_id: Mapped[str | None] = mapped_column(String(64))
    tax_id_type: Mapped[str | None] = mapped_column(String(32))
    street: Mapped[str | None] = mapped_column(String(200))
    number: Mapped[str | None] = mapped_column(String(50))
    complement: Mapped[str | None] = mapped_column(String(200))
    neighborhood: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str | None] = mapped_column(String(10))
    zip_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))


class IssuingAccount(_BillingDetails, Base):
    __tablename__ = "issuing_accounts"
    __table_args__ = (
        UniqueConstraint("organization_id", "idempotency_key", name="uq_issuing_accounts_idem"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    number_prefix: Mapped[str] = mapped_column(String(40), default="INV", server_default="INV")
    number_format: Mapped[str] = mapped_column(
        String(100), default="{prefix}-{yyyy}-{seq:06}", server_default="{prefix}-{yyyy}-{seq:06}"
    )
    # what EN 16931 needs of the seller (migration 0011): BT-31, BT-30, BG-6, BG-17, BT-34
    vat_id: Mapped[str | None] = mapped_column(String(64), default=None)
    legal_registration_id: Mapped[str | None] = mapped_column(String(100), default=None)
    contact_name: Mapped[str | None] = mapped_column(String(200), default=None)
    contact_phone: Mapped[str | None] = mapped_column(String(50), default=None)
    contact_email: Mapped[str | None] = mapped_column(String(254), default=None)
    iban: Mapped[str | None] = mapped_column(String(34), default=None)
    bic: Mapped[str | None] = mapped_column(String(11), default=None)
    electronic_address: Mapped[str | None] = mapped_column(String(200), default=None)
    electronic_address_scheme: Mapped[str | None] = mapped_column(String(4), default=None)
    # credit notes are numbered in their own series: CN-2026-000001 by default
    credit_note_number_prefix: Mapped[str] = mapped_column(String(40), default="CN", server_default="CN")
    credit_note_number_format: Mapped[str] = mapped_column(
        String(100), default="{prefix}-{yyyy}-{seq:06}", server_default="{prefix}-{yyyy}-{seq:06}"
    )
    idempotency_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class Customer(_BillingDetails, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("organization_id", "external_customer_id", name="uq_customers_external_id"),
        UniqueConstraint("organization_id", "idempotency_key", name="uq_customers_idem"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(String(200))
    external_customer_id: Mapped[str | None] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms_days: Mapped[int | None] = mapped_column(Integer)
    withholding_rates: Mapped[list[dict[str, Any]] | None] = mapped_column(NullableJSON)
    # BT-49 with its EAS scheme; the documents' language (None: the organization's)
    electronic_address: Mapped[str | None] = mapped_column(String(200), default=None)
    electronic_address_scheme: Mapped[str | None] = mapped_column(String(4), default=None)
    locale: Mapped[str | None] = mapped_column(String(35), default=None)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class PaymentAccount(_BillingDetails, Base):
    __tablename__ = "payment_accounts"
    __table_args__ = (
        Index("ix_payment_accounts_customer", "organization_id", "customer_id"),
        _tenant_fk("payment_accounts", "customer_id", "customers"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    customer_id: Mapped[uuid.UUID]
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("organization_id", "name", name="uq_products_name"),
        UniqueConstraint("organization_id", "idempotency_key", name="uq_products_idem"),
        _tenant_fk("products", "tax_category_id", "tax_categories"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    default_unit_price: Mapped[Decimal | None]
    tax_category: Mapped[str | None] = mapped_column(String(100))
    tax_category_id: Mapped[uuid.UUID | None]
    idempotency_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    # set while archived: refused for new lines and groups, kept by the lines that already name it
    archived_at: Mapped[datetime | None] = mapped_column(default=None)


class TaxCategory(Base):
    """A tax category (VAT standard, reduced, exempt...) and its rates: ``[{rate, inclusive, country}]``,
    percent strings; a rate with a country applies to customers there, the one without to the rest."""

    __tablename__ = "tax_categories"
    __table_args__ = (UniqueConstraint("organization_id", "idempotency_key", name="uq_tax_categories_idem"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(String(200))
    rates: Mapped[list[dict[str, Any]]] = mapped_column(NullableJSON)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class Price(Base):
    """A catalog price: a product, a currency, a price model and its fields (kept as the API gave them,
    decimal strings in camelCase, and re-parsed by the pricing core when a line uses the price)."""

    __tablename__ = "prices"
    __table_args__ = (
        UniqueConstraint("organization_id", "idempotency_key", name="uq_prices_idem"),
        Index("ix_prices_product", "organization_id", "product_id"),
        _tenant_fk("prices", "product_id", "products"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    product_id: Mapped[uuid.UUID]
    currency: Mapped[str] = mapped_column(String(3))
    model: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict[str, Any]] = mapped_column(NullableJSON)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    # set while archived: refused for new lines, kept by the lines already priced with it
    archived_at: Mapped[datetime | None] = mapped_column(default=None)


class _Amounts:
    """The derived amounts every line, group and invoice carries (DESIGN.md, calculation pipeline)."""

    subtotal_amount: Mapped[Decimal]
    discount_amount: Mapped[Decimal]
    adjustment_amount: Mapped[Decimal]
    net_amount: Mapped[Decimal]
    tax_amount: Mapped[Decimal]
    total_amount: Mapped[Decimal]


class Invoice(_Amounts, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("organization_id", "idempotency_key", name="uq_invoices_idem"),
        Index("ix_invoices_customer", "organization_id", "customer_id", "id"),
        Index("ix_invoices_status", "organization_id", "status", "id"),
        Index(
            "uq_invoices_number",
            "organization_id",
            "issuing_account_id",
            "invoice_number",
            unique=True,
        ),
        # the hosted page's token finds its invoice without an API key (see migration 0011)
        Index("uq_invoices_hosted_token", "hosted_token", unique=True),
        _tenant_fk("invoices", "customer_id", "customers"),
        _tenant_fk("invoices", "payment_account_id", "payment_accounts"),
        _tenant_fk("invoices", "issuing_account_id", "issuing_accounts"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    customer_id: Mapped[uuid.UUID]
    payment_account_id: Mapped[uuid.UUID]
    issuing_account_id: Mapped[uuid.UUID]
    contract_id: Mapped[uuid.UUID | None]
    idempotency_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    auto_issue: Mapped[bool] = mapped_column(Boolean)
    allocation_strategy: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    invoice_date: Mapped[date]
    period_start: Mapped[date]
    period_end: Mapped[date]
    due_date: Mapped[date | None]
    memo: Mapped[str | None] = mapped_column(Text)
    invoice_number: Mapped[str | None] = mapped_column(String(100))
    series: Mapped[str] = mapped_column(String(40), default="default", server_default="default")
    payment_terms_days: Mapped[int | None] = mapped_column(Integer)
    issue_date: Mapped[date | None]
    issued_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(Text)
    credits_applied_amount: Mapped[Decimal]
    amount_paid: Mapped[Decimal]
    # running sums of the live credit notes (their totals, and the parts that reduced the amount
    # remaining) and of the refunds; amountRemaining = amountDue - amountPaid - reduced_amount
    credited_amount: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    refunded_amount: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    reduced_amount: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    adjustments: Mapped[list[dict[str, Any]] | None] = mapped_column(NullableJSON)
    withholding_rates: Mapped[list[dict[str, Any]] | None] = mapped_column(NullableJSON)
    allocations: Mapped[list[dict[str, Any]] | None] = mapped_column(NullableJSON)
    # running sums per cell (lines alike for covering adjustments and taxes): core.running, neutral JSON
    running_sums: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # set while a tax_gross_up line (or what the running sums cannot carry) makes every write recalculate
    recalculate_all: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # at issue: the calculation's invoice-level results (tax summary, adjustments, shares, withholdings)
    calculation: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    minimum_amount: Mapped[Decimal | None]
    minimum_scope: Mapped[str | None] = mapped_column(String(32))
    minimum_line_id: Mapped[uuid.UUID | None]
    next_group_index: Mapped[int] = mapped_column(Integer)
    next_line_index: Mapped[int] = mapped_column(Integer)
    last_calculated_at: Mapped[datetime | None]
    # EN 16931: BT-10, BT-13, BT-72, BT-80
    buyer_reference: Mapped[str | None] = mapped_column(String(200), default=None)
    purchase_order: Mapped[str | None] = mapped_column(String(200), default=None)
    delivery_date: Mapped[date | None] = mapped_column(default=None)
    delivery_country: Mapped[str | None] = mapped_column(String(2), default=None)
    # at issue: the seller's and buyer's details as they were (services/documents.py freeze_parties)
    parties: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON, default=None)
    # the hosted invoice page's token (192 random bits), set at issue, replaced on revocation
    hosted_token: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LineItemGroup(_Amounts, Base):
    __tablename__ = "line_item_groups"
    __table_args__ = (
        UniqueConstraint("organization_id", "invoice_id", "idempotency_key", name="uq_groups_idem"),
        Index("ix_groups_invoice", "organization_id", "invoice_id", "position"),
        _tenant_fk("line_item_groups", "invoice_id", "invoices"),
        _tenant_fk("line_item_groups", "product_id", "products"),
        _tenant_fk("line_item_groups", "tax_category_id", "tax_categories"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    invoice_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID | None]
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date]
    end_date: Mapped[date]
    tax_category_id: Mapped[uuid.UUID | None]
    adjustments: Mapped[list[dict[str, Any]] | None] = mapped_column(NullableJSON)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class LineItem(_Amounts, Base):
    __tablename__ = "line_items"
    __table_args__ = (
        UniqueConstraint("organization_id", "invoice_id", "idempotency_key", name="uq_line_items_idem"),
        Index("ix_line_items_invoice", "organization_id", "invoice_id", "position"),
        Index("ix_line_items_group", "organization_id", "group_id"),
        _tenant_fk("line_items", "invoice_id", "invoices"),
        _tenant_fk("line_items", "group_id", "line_item_groups"),
        _tenant_fk("line_items", "product_id", "products"),
        _tenant_fk("line_items", "price_id", "prices"),
        _tenant_fk("line_items", "tax_category_id", "tax_categories"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_key()  # held by fk_line_items_invoice_id
    invoice_id: Mapped[uuid.UUID]
    group_id: Mapped[uuid.UUID | None]
    product_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(32))
    start_date: Mapped[date]
    end_date: Mapped[date]
    # "unit_price" (quantity × unitPrice), "amount" (fixed), "price" (a price model applied to usage) or
    # "minimum" (an invoice minimum's shortfall, kept up to date by Billfold)
    pricing: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal]
    price_id: Mapped[uuid.UUID | None]
    price_model: Mapped[str | None] = mapped_column(String(32))
    price_config: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    usage_input: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    total_usage: Mapped[Decimal | None]
    usage_format: Mapped[str | None] = mapped_column(String(16))
    sub_lines: Mapped[list[dict[str, Any]] | None] = mapped_column(NullableJSON)
    tax_category_id: Mapped[uuid.UUID | None]
    adjustments: Mapped[list[dict[str, Any]] | None] = mapped_column(NullableJSON)
    # the line's rate as resolved at its last write (category, percent, inclusive; all None: untaxed)
    tax_key_category_id: Mapped[uuid.UUID | None]
    tax_key_rate: Mapped[Decimal | None]
    tax_key_inclusive: Mapped[bool | None] = mapped_column(Boolean)
    # the line's credit share (frozen at issue)
    credits_applied_amount: Mapped[Decimal | None]
    adjustment_shares: Mapped[list[dict[str, Any]] | None] = mapped_column(NullableJSON)
    # UN/ECE Recommendation 20 unit of the quantity (BT-130)
    unit_code: Mapped[str] = mapped_column(String(3), default="C62", server_default="C62")
    idempotency_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    # the decimal places of the invoice's currency, which the line's amounts show (None: a line written
    # before they were kept). On PostgreSQL the generated column ``answer`` (the line's native answer as
    # JSON, see migration 0014) is not mapped: the database writes it, nothing else does.
    amount_places: Mapped[int | None] = mapped_column(Integer)


class IdempotencyRecord(Base):
    """A create request's key, its body's fingerprint and the answer it got, for replays."""

    __tablename__ = "idempotency_records"
    # Keyed by what finds it, so a lookup has one index to take (see migration 0015).
    __table_args__ = (PrimaryKeyConstraint("organization_id", "scope", "key", name="pk_idempotency_records"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    scope: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class NumberCounter(Base):
    """The next number of a numbering sequence: per issuing account, series and rendered prefix.

    Locked and advanced inside the issuing transaction, so a rolled-back issue leaves no gap.
    """

    __tablename__ = "number_counters"
    __table_args__ = (
        UniqueConstraint(
            "organization_id", "issuing_account_id", "series", "prefix", name="uq_number_counters_sequence"
        ),
        _tenant_fk("number_counters", "issuing_account_id", "issuing_accounts"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    issuing_account_id: Mapped[uuid.UUID]
    series: Mapped[str] = mapped_column(String(40))
    prefix: Mapped[str] = mapped_column(String(200))
    last_value: Mapped[int] = mapped_column(Integer)
    last_issue_date: Mapped[date | None]


class EventCounter(Base):
    """The last event sequence number an organization has used (advanced at each commit with events)."""

    __tablename__ = "event_counters"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger)


class InvoiceEvent(Base):
    """One event: a change of an invoice, a credit note, a refund, a customer's credit balance or a
    webhook endpoint, when, and by which API key. The table is the outbox webhooks are delivered from.

    ``sequence`` numbers an organization's events in the order they happened (strictly increasing, per
    organization); every read orders by it, never by time. ``type`` is ``resource.action``
    (``invoice.issued``); ``resource_type`` / ``resource_id`` name what changed, and ``invoice_id`` the
    invoice it belongs to, if any (the per-invoice log reads by it). ``payload`` is the resource as the
    native API rendered it when the event was recorded (``None`` on events older than migration 0013).
    """

    __tablename__ = "invoice_events"
    __table_args__ = (
        UniqueConstraint("organization_id", "sequence", name="uq_invoice_events_sequence"),
        Index("ix_invoice_events_invoice_sequence", "organization_id", "invoice_id", "sequence"),
        Index("ix_invoice_events_resource", "organization_id", "resource_type", "resource_id", "sequence"),
        Index("ix_invoice_events_type", "organization_id", "type", "sequence"),
        _tenant_fk("invoice_events", "invoice_id", "invoices"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    sequence: Mapped[int] = mapped_column(BigInteger)
    invoice_id: Mapped[uuid.UUID | None]
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[uuid.UUID]
    type: Mapped[str] = mapped_column(String(60))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    api_key_id: Mapped[uuid.UUID | None]
    data: Mapped[dict[str, Any]] = mapped_column(NullableJSON)
    payload: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    created_at: Mapped[datetime]


class WebhookEndpoint(Base):
    """Where an organization's events are POSTed. ``secret`` signs them (it has to be stored to sign;
    it is shown once, at creation); after a rotation ``previous_secret`` signs alongside it until
    ``previous_secret_expires_at``. ``status``: ``enabled``, ``disabled`` (by the client) or
    ``auto_disabled`` (every delivery failed since ``failing_since``, for a day)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    enabled_events: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookDelivery(Base):
    """One event to one endpoint. ``pending`` until a 2xx (``delivered``) or the last retry
    (``failed``). A deliverer holds it while ``lease_until`` is in the future. Per endpoint, a delivery
    waits for every earlier pending one (by ``event_sequence``) with the same ``ordering_key`` (the
    invoice, else the resource; a resend or a test is its own key)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index(
            "ix_webhook_deliveries_due",
            "organization_id",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index(
            "ix_webhook_deliveries_key",
            "organization_id",
            "endpoint_id",
            "ordering_key",
            "event_sequence",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_deliveries_endpoint", "organization_id", "endpoint_id", "id"),
        Index("ix_webhook_deliveries_event", "organization_id", "event_id"),
        _tenant_fk("webhook_deliveries", "endpoint_id", "webhook_endpoints"),
        _tenant_fk("webhook_deliveries", "event_id", "invoice_events"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    endpoint_id: Mapped[uuid.UUID]
    event_id: Mapped[uuid.UUID]
    event_sequence: Mapped[int] = mapped_column(BigInteger)
    ordering_key: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery: its status code (none when no answer came), how long it took,
    the first bytes of the answer, or the error."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_delivery", "organization_id", "delivery_id", "id"),
        _tenant_fk("webhook_attempts", "delivery_id", "webhook_deliveries"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    delivery_id: Mapped[uuid.UUID]
    status_code: Mapped[int | None]
    duration_ms: Mapped[int]
    response_snippet: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("organization_id", "invoice_id", "idempotency_key", name="uq_payments_idem"),
        Index("ix_payments_invoice", "organization_id", "invoice_id", "id"),
        _tenant_fk("payments", "invoice_id", "invoices"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    invoice_id: Mapped[uuid.UUID]
    amount: Mapped[Decimal]
    applied_amount: Mapped[Decimal]
    excess_amount: Mapped[Decimal]
    payment_date: Mapped[date]
    method: Mapped[str | None] = mapped_column(String(40))
    reference: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class CreditEntry(Base):
    """The customer's prepaid balance ledger: grants (positive) and uses (negative), per currency.

    A grant's ``remaining`` is what it still holds (its amount moved by every entry that references
    it: uses, returns, reversals), kept by those entries' writers under the customer's row lock;
    ``None`` once nothing remains, and for every entry that is not a grant. Issuing with credit and the
    balances read the grants alone (``ix_credit_entries_grants``), never the uses, which grow with
    every invoice that takes credit; an invoice's own entries are found by ``ix_credit_entries_invoice``,
    and the ledger's pages, newest first, by ``ix_credit_entries_customer``.
    """

    __tablename__ = "credit_entries"
    __table_args__ = (
        Index("ix_credit_entries_customer", "organization_id", "customer_id", "id"),
        Index(
            "ix_credit_entries_grants",
            "organization_id",
            "customer_id",
            "currency",
            postgresql_where=text("kind = 'grant'"),
            sqlite_where=text("kind = 'grant'"),
        ),
        Index("ix_credit_entries_invoice", "organization_id", "invoice_id"),
        _tenant_fk("credit_entries", "customer_id", "customers"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    customer_id: Mapped[uuid.UUID]
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal]
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[date | None]
    invoice_id: Mapped[uuid.UUID | None]
    payment_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    remaining: Mapped[Decimal | None] = mapped_column(default=None)


class CreditNote(_Amounts, Base):
    """A numbered correction of an issued invoice (its own gapless series per issuing account).

    Its total is settled as ``refund_amount`` (a :class:`Refund`), ``credit_amount`` (a grant in the
    customer's ledger, ``credit_entry_id``), ``out_of_band_amount`` and ``reduction_amount`` (taken off
    the invoice's amount remaining); the four add up to ``total_amount``.
    """

    __tablename__ = "credit_notes"
    __table_args__ = (
        UniqueConstraint("organization_id", "invoice_id", "idempotency_key", name="uq_credit_notes_idem"),
        Index("uq_credit_notes_number", "organization_id", "issuing_account_id", "number", unique=True),
        Index("ix_credit_notes_invoice", "organization_id", "invoice_id", "id"),
        Index("ix_credit_notes_customer", "organization_id", "customer_id", "id"),
        _tenant_fk("credit_notes", "invoice_id", "invoices"),
        _tenant_fk("credit_notes", "customer_id", "customers"),
        _tenant_fk("credit_notes", "issuing_account_id", "issuing_accounts"),
        _tenant_fk("credit_notes", "credit_entry_id", "credit_entries"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    invoice_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID]
    issuing_account_id: Mapped[uuid.UUID]
    credit_entry_id: Mapped[uuid.UUID | None]
    number: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(32))
    memo: Mapped[str | None] = mapped_column(Text)
    issue_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    refund_amount: Mapped[Decimal]
    credit_amount: Mapped[Decimal]
    out_of_band_amount: Mapped[Decimal]
    reduction_amount: Mapped[Decimal]
    # per rate: {taxCategoryId, rate, inclusive, taxableAmount, taxAmount} (decimal strings)
    tax_summary: Mapped[list[dict[str, Any]] | None] = mapped_column(NullableJSON)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class CreditNoteLine(_Amounts, Base):
    """What a credit note credits: part of an invoice line (``line_item_id``) or a plain amount at one
    of the invoice's rates. ``base_amount`` is what its tax was worked out on (net, or gross when the
    rate is inclusive)."""

    __tablename__ = "credit_note_lines"
    __table_args__ = (
        Index("ix_credit_note_lines_note", "organization_id", "credit_note_id", "position"),
        _tenant_fk("credit_note_lines", "credit_note_id", "credit_notes"),
        _tenant_fk("credit_note_lines", "line_item_id", "line_items"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    credit_note_id: Mapped[uuid.UUID]
    line_item_id: Mapped[uuid.UUID | None]
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal | None]
    base_amount: Mapped[Decimal]
    tax_category_id: Mapped[str | None] = mapped_column(String(64))
    tax_rate: Mapped[Decimal | None]
    tax_inclusive: Mapped[bool | None] = mapped_column(Boolean)


class Refund(Base):
    """Money paid back on an invoice's payments, recorded by a credit note's ``refundAmount``."""

    __tablename__ = "refunds"
    __table_args__ = (
        UniqueConstraint("organization_id", "invoice_id", "idempotency_key", name="uq_refunds_idem"),
        Index("ix_refunds_invoice", "organization_id", "invoice_id", "id"),
        _tenant_fk("refunds", "invoice_id", "invoices"),
        _tenant_fk("refunds", "credit_note_id", "credit_notes"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    invoice_id: Mapped[uuid.UUID]
    credit_note_id: Mapped[uuid.UUID | None]
    amount: Mapped[Decimal]
    refund_date: Mapped[date]
    reason: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
