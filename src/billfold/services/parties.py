"""Customers, their payment accounts, and the organization's issuing accounts (its legal entities).

A customer may carry withholding rates: taxes it withholds from every invoice total and pays to its
authority itself (Brazil's IRRF 1.5 %, PIS/COFINS/CSLL 4.65 %). Each has a ``name`` (unique within the
customer: it identifies the rate on the invoice), a ``rate`` (percent, at most four decimal places) and
the ``rounding`` its authority applies (``half_up``, ``half_even``, ``up`` or ``down``, to the
currency's minor unit). The rates must sum to less than 100 %, so a gross-up always exists (the core's
:class:`billfold.core.taxes.WithholdingRate` and :func:`billfold.core.taxes.gross_up`). Stored as
``[{"name": "IRRF", "rate": "1.5", "rounding": "half_up"}]``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy.orm.attributes import set_committed_value

from billfold.core.money import RoundingMode, add, to_plain_normalized
from billfold.core.numbering import NumberFormatError, validate_format
from billfold.core.split import CalculationError
from billfold.core.taxes import WithholdingRate
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.billing_details import BillingDetails, changed_details, details_of, validate_details
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.document_data import customer_columns, seller_columns
from billfold.services.errors import Conflict, NotFound, ValidationFailed
from billfold.services.tax_categories import check_rate_percent

WITHHOLDING_ROUNDINGS = {
    "half_up": RoundingMode.HALF_UP,
    "half_even": RoundingMode.HALF_EVEN,
    "up": RoundingMode.UP,
    "down": RoundingMode.DOWN,
}
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class NewWithholdingRate:
    name: str
    rate: Decimal
    rounding: str = "half_up"


def withholding_columns(rates: Sequence[NewWithholdingRate]) -> list[dict[str, Any]] | None:
    """Checked rates as stored (``None`` when there are none); a 400 names the rate at fault."""
    if not rates:
        return None
    stored: list[dict[str, Any]] = []
    names: set[str] = set()
    for index, rate in enumerate(rates):
        prefix = f"withholdingRates[{index}]."
        if rate.name in names:
            raise ValidationFailed.field(f"{prefix}name", "is used by another withholding rate")
        names.add(rate.name)
        check_rate_percent(f"{prefix}rate", rate.rate)
        if rate.rounding not in WITHHOLDING_ROUNDINGS:
            raise ValidationFailed.field(f"{prefix}rounding", "must be half_up, half_even, up or down")
        try:
            WithholdingRate(rate.name, rate.rate, WITHHOLDING_ROUNDINGS[rate.rounding])
        except CalculationError as error:
            raise ValidationFailed.field(f"{prefix}{error.field}", error.message) from error
        stored.append({"name": rate.name, "rate": to_plain_normalized(rate.rate), "rounding": rate.rounding})
    if add(*(rate.rate for rate in rates)) >= HUNDRED:
        raise ValidationFailed.field("withholdingRates", "the rates must sum to less than 100")
    return stored


@dataclass(frozen=True, slots=True)
class NewCustomer:
    name: str
    idempotency_key: str
    currency: str = "USD"
    external_customer_id: str | None = None
    details: BillingDetails = field(default_factory=BillingDetails)
    payment_terms_days: int | None = None
    withholding_rates: tuple[NewWithholdingRate, ...] = ()
    # EN 16931 data: {"electronic_address": ElectronicAddressIn | None, "locale": str | None}
    document_fields: dict[str, Any] = field(default_factory=dict)


async def create_customer(uow: UnitOfWork, actor: Actor, new: NewCustomer) -> m.Customer:
    """A customer and its default payment account, billed to the customer's own details."""
    currency(new.currency)
    details = validate_details(new.details)
    withholding = withholding_columns(new.withholding_rates)
    document_columns = customer_columns(new.document_fields)
    if new.external_customer_id is not None:
        existing = await uow.repo.customer_by_external_id(actor.organization_id, new.external_customer_id)
        if existing is not None:
            raise Conflict(
                f"a customer with externalCustomerId {new.external_customer_id!r} already exists",
                code="duplicate_external_customer_id",
                details={"externalCustomerId": "already used by another customer"},
            )
    now = utcnow()
    customer = m.Customer(
        id=new_id(),
        organization_id=actor.organization_id,
        name=new.name,
        external_customer_id=new.external_customer_id,
        currency=new.currency,
        payment_terms_days=new.payment_terms_days,
        withholding_rates=withholding,
        idempotency_key=new.idempotency_key,
        created_at=now,
        **details.columns(),
        **document_columns,
    )
    await uow.repo.add(customer)
    account_details = replace(
        details,
        trade_name=details.trade_name or new.name,
        business_name=details.business_name or new.name,
    )
    await uow.repo.add(
        m.PaymentAccount(
            id=new_id(),
            organization_id=actor.organization_id,
            customer_id=customer.id,
            is_default=True,
            idempotency_key=f"default-{customer.id.hex}",
            created_at=now,
            **account_details.columns(),
        )
    )
    return customer


async def get_customer(uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID) -> m.Customer:
    customer = await uow.repo.get(m.Customer, actor.organization_id, customer_id)
    if customer is None:
        raise NotFound.resource("customer", customer_id)
    return customer


async def create_payment_account(
    uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID, details: BillingDetails, idempotency_key: str
) -> m.PaymentAccount:
    customer = await get_customer(uow, actor, customer_id)
    checked = validate_details(details)
    account = m.PaymentAccount(
        id=new_id(),
        organization_id=actor.organization_id,
        customer_id=customer.id,
        is_default=False,
        idempotency_key=idempotency_key,
        created_at=utcnow(),
        **replace(checked, trade_name=checked.trade_name or customer.name).columns(),
    )
    await uow.repo.add(account)
    return account


async def payment_accounts_of(
    uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID
) -> list[m.PaymentAccount]:
    await get_customer(uow, actor, customer_id)
    rows, _ = await uow.repo.page(
        m.PaymentAccount,
        actor.organization_id,
        limit=1000,
        after=None,
        filters=[m.PaymentAccount.customer_id == customer_id],
    )
    return rows


async def create_issuing_account(
    uow: UnitOfWork,
    actor: Actor,
    details: BillingDetails,
    idempotency_key: str,
    number_prefix: str = "INV",
    number_format: str = "{prefix}-{yyyy}-{seq:06}",
    seller_fields: dict[str, Any] | None = None,
    credit_note_numbering: tuple[str, str] = ("CN", "{prefix}-{yyyy}-{seq:06}"),
) -> m.IssuingAccount:
    """``seller_fields``: what EN 16931 needs of the seller (see
    :func:`billfold.services.document_data.seller_columns`)."""
    checked = validate_details(details)
    seller = seller_columns(seller_fields or {})
    for name, template in (
        ("numberFormat", number_format),
        ("creditNoteNumberFormat", credit_note_numbering[1]),
    ):
        try:
            validate_format(template)
        except NumberFormatError as error:
            raise ValidationFailed.field(name, str(error)) from error
    account = m.IssuingAccount(
        id=new_id(),
        organization_id=actor.organization_id,
        is_default=False,
        number_prefix=number_prefix,
        number_format=number_format,
        credit_note_number_prefix=credit_note_numbering[0],
        credit_note_number_format=credit_note_numbering[1],
        idempotency_key=idempotency_key,
        created_at=utcnow(),
        **checked.columns(),
        **seller,
    )
    await uow.repo.add(account)
    return account


async def get_issuing_account(uow: UnitOfWork, actor: Actor, account_id: uuid.UUID) -> m.IssuingAccount:
    account = await uow.repo.get(m.IssuingAccount, actor.organization_id, account_id)
    if account is None:
        raise NotFound.resource("issuing account", account_id)
    return account


# -- edits -----------------------------------------------------------------------------------------
#
# ``changes`` holds only the fields the request gave, snake_case (``None`` clears an optional one); an
# empty ``changes`` writes nothing. Everything is checked before anything is written.


async def update_customer(
    uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID, changes: dict[str, Any]
) -> m.Customer:
    """Edit a customer: name, billing details (checked as on create), withholding rates, payment terms,
    external id (unique, 409) and currency (only while the customer has no invoice, else 409
    ``customer_has_invoices``). Its default payment account bills the customer's own details, so it
    follows them. Drafts read the customer when calculated (withholding rates) or issued (payment
    terms); issued invoices keep what they froze at issue."""
    customer = await uow.repo.get_for_update(m.Customer, actor.organization_id, customer_id)
    if customer is None:
        raise NotFound.resource("customer", customer_id)
    values = changed_details(customer, changes)
    values.update(_changed(customer, customer_columns(changes)))
    if "name" in changes and changes["name"] != customer.name:
        values["name"] = changes["name"]
    if "withholding_rates" in changes:
        values["withholding_rates"] = withholding_columns(changes["withholding_rates"] or ())
    if "payment_terms_days" in changes:
        values["payment_terms_days"] = changes["payment_terms_days"]
    external_id = changes.get("external_customer_id")
    if "external_customer_id" in changes and external_id != customer.external_customer_id:
        if external_id is not None:
            existing = await uow.repo.customer_by_external_id(actor.organization_id, external_id)
            if existing is not None:
                raise Conflict(
                    f"a customer with externalCustomerId {external_id!r} already exists",
                    code="duplicate_external_customer_id",
                    details={"externalCustomerId": "already used by another customer"},
                )
        values["external_customer_id"] = external_id
    if "currency" in changes and changes["currency"] != customer.currency:
        currency(changes["currency"])
        if await uow.repo.customer_has_invoices(actor.organization_id, customer.id):
            raise Conflict(
                "the customer's currency cannot change once it has invoices",
                code="customer_has_invoices",
                details={"currency": "the customer has invoices in its currency"},
            )
        values["currency"] = changes["currency"]
    if not values:
        return customer
    await uow.repo.write_values(customer, values)
    await _follow_customer(uow, actor, customer)
    return customer


async def _follow_customer(uow: UnitOfWork, actor: Actor, customer: m.Customer) -> None:
    """Give the customer's default payment account the customer's details again (as on create)."""
    account = await uow.repo.marked_default_payment_account(actor.organization_id, customer.id)
    if account is None:
        return
    details = details_of(customer)
    mirrored = replace(
        details,
        trade_name=details.trade_name or customer.name,
        business_name=details.business_name or customer.name,
    ).columns()
    await uow.repo.write_values(account, mirrored)


async def update_issuing_account(
    uow: UnitOfWork, actor: Actor, account_id: uuid.UUID, changes: dict[str, Any]
) -> m.IssuingAccount:
    """Edit an issuing account: billing details (checked as on create); ``number_prefix`` and
    ``number_format`` only while no invoice has been numbered in it (else 409 ``account_has_numbers``,
    so a numbering sequence never changes midway); ``is_default=True`` makes it the organization's
    default (the previous one stops being it). An organization always has a default, so unsetting the
    default's flag is a 400: make another account the default instead."""
    if changes.get("is_default") is True:
        # Lock the organization first: two switches at once then run one after the other (and take
        # the account rows in the same order), so exactly one default remains.
        await uow.repo.organization(actor.organization_id, for_update=True)
    account = await uow.repo.get_for_update(m.IssuingAccount, actor.organization_id, account_id)
    if account is None:
        raise NotFound.resource("issuing account", account_id)
    values = changed_details(account, changes)
    values.update(_changed(account, seller_columns(changes)))
    numbering: dict[str, Any] = {
        name: changes[name]
        for name in ("number_prefix", "number_format")
        if name in changes and changes[name] != getattr(account, name)
    }
    if "number_format" in numbering:
        try:
            validate_format(numbering["number_format"])
        except NumberFormatError as error:
            raise ValidationFailed.field("numberFormat", str(error)) from error
    make_default = changes.get("is_default") is True and not account.is_default
    if changes.get("is_default") is False and account.is_default:
        raise ValidationFailed.field(
            "isDefault", "the organization needs a default issuing account: make another one the default"
        )
    note_numbering = await _credit_note_numbering(uow, actor, account, changes)
    if numbering and await uow.repo.issuing_account_has_numbered_invoices(actor.organization_id, account.id):
        fields = {"numberPrefix" if name == "number_prefix" else "numberFormat" for name in numbering}
        raise Conflict(
            "invoices have been numbered in this account, so its numbering can no longer change",
            code="account_has_numbers",
            details=dict.fromkeys(sorted(fields), "invoices have been numbered with it"),
        )
    values.update(numbering)
    values.update(note_numbering)
    if values:
        await uow.repo.write_values(account, values)
    if make_default:
        await uow.repo.make_default_issuing_account(actor.organization_id, account.id)
        set_committed_value(account, "is_default", True)
    return account


def _changed(row: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value != getattr(row, name)}


async def _credit_note_numbering(
    uow: UnitOfWork, actor: Actor, account: m.IssuingAccount, changes: dict[str, Any]
) -> dict[str, Any]:
    """The credit note numbering changes of a PATCH: checked like the invoices', and refused (409
    ``account_has_numbers``) once a credit note has been numbered in the account."""
    names = ("credit_note_number_prefix", "credit_note_number_format")
    numbering = {
        name: changes[name] for name in names if name in changes and changes[name] != getattr(account, name)
    }
    if "credit_note_number_format" in numbering:
        try:
            validate_format(numbering["credit_note_number_format"])
        except NumberFormatError as error:
            raise ValidationFailed.field("creditNoteNumberFormat", str(error)) from error
    if numbering and await uow.repo.issuing_account_has_credit_notes(actor.organization_id, account.id):
        fields = sorted(
            "creditNoteNumberPrefix" if n.endswith("prefix") else "creditNoteNumberFormat" for n in numbering
        )
        raise Conflict(
            "credit notes have been numbered in this account, so their numbering can no longer change",
            code="account_has_numbers",
            details=dict.fromkeys(fields, "credit notes have been numbered with it"),
        )
    return numbering
