"""A customer's prepaid credit: a ledger of grants and uses per currency, and its available balance.

The ledger is ``credit_entries``. How its rows map to the core's :mod:`billfold.core.credits`:

* a **grant** is an entry of kind ``grant`` with a positive ``amount``: credit granted through the API
  (:func:`grant_credit`) or the excess of a payment kept as credit (``payment_id`` names the payment).
  Its :class:`~billfold.core.credits.CreditGrant` has id ``str(entry.id)``, ``granted_on`` the day it
  was recorded (UTC) and ``expires_on`` the entry's ``expires_at``: the first day it can no longer be
  used (``None``: it never expires).
* a **use** is an entry of kind ``use`` with a negative ``amount``, written by
  :func:`record_credit_uses` when an invoice is issued: ``invoice_id`` names the invoice it paid, and
  ``reason`` names the grant it was taken from as ``grant:<grant id>`` (the ledger has no column of its
  own for that reference, and a use needs no free-text reason). Any entry that references a grant this
  way moves that grant's balance by its signed amount, so an entry of another kind with a positive
  amount and the same reference returns credit to the grant (a voided invoice's, say).
  The :class:`~billfold.core.credits.CreditUse` of a grant and invoice is minus the sum of those
  entries' amounts.

The available balance in a currency is what the usable grants still hold (grants minus their uses),
as of a day: today (UTC) for the API's balances, the issue date when credit is applied.

Each grant keeps what it still holds in ``remaining`` (``None`` once nothing), moved by the writer of
every entry that references it, under the customer's row lock as every writer of the ledger takes it.
So issuing and the balances read the grants, never the uses (one more with every invoice that takes
credit); only the ledger's listing reads the uses, a page at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billfold.core.credits import CreditGrant, CreditUse, available_credit, remaining_units
from billfold.core.money import ZERO, Currency, add
from billfold.core.split import CalculationError
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.ledger import LedgerEntry as LedgerEntry
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.currencies import check_fits
from billfold.services.currencies import currency as lookup_currency
from billfold.services.errors import Conflict, NotFound, ValidationFailed
from billfold.services.events import credit_balance_changed
from billfold.services.parties import get_customer

GRANT = "grant"
USE = "use"
GRANT_REFERENCE = "grant:"


@dataclass(frozen=True, slots=True)
class NewCreditGrant:
    amount: Decimal
    currency: str | None = None  # the customer's when None
    expires_on: date | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CreditBalance:
    currency: Currency
    available: Decimal


@dataclass(frozen=True, slots=True)
class CreditLedger:
    """A page of a customer's ledger entries, newest first, whether more follow, and its balance per
    currency (by code)."""

    entries: list[LedgerEntry]
    balances: list[CreditBalance]
    has_more: bool = False


def referenced_grant(entry: LedgerEntry) -> str | None:
    """The grant an entry (a use, or a return of credit) moves, or ``None`` (a grant, for one)."""
    if entry.kind == GRANT or not entry.reason or not entry.reason.startswith(GRANT_REFERENCE):
        return None
    return entry.reason.removeprefix(GRANT_REFERENCE)


def grants_and_uses(entries: Sequence[LedgerEntry]) -> tuple[list[CreditGrant], list[CreditUse]]:
    """The core's view of ledger ``entries`` of one currency (see the module docstring), grants and
    uses oldest first."""
    ordered = sorted(entries, key=lambda entry: (entry.created_at, entry.id))
    grants = [
        CreditGrant(str(entry.id), entry.amount, entry.created_at.date(), entry.expires_at)
        for entry in ordered
        if entry.kind == GRANT and entry.amount > ZERO
    ]
    moved: dict[tuple[str, str | None], Decimal] = {}
    for entry in ordered:
        grant_id = referenced_grant(entry)
        if grant_id is not None:
            key = (grant_id, None if entry.invoice_id is None else str(entry.invoice_id))
            moved[key] = add(moved.get(key, ZERO), entry.amount.copy_negate())
    uses = [
        CreditUse(grant_id, amount, invoice_id)
        for (grant_id, invoice_id), amount in moved.items()
        if amount > ZERO
    ]
    return grants, uses


async def _customer(uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID, *, lock: bool) -> m.Customer:
    if not lock:
        return await get_customer(uow, actor, customer_id)
    customer = await uow.repo.get_for_update(m.Customer, actor.organization_id, customer_id)
    if customer is None:
        raise NotFound.resource("customer", customer_id)
    return customer


async def grant_credit(
    uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID, new: NewCreditGrant
) -> m.CreditEntry:
    """Grant the customer ``new.amount`` of credit (more than zero, in whole minor units of the
    currency), usable from today (UTC) until the day before ``expires_on``."""
    customer = await get_customer(uow, actor, customer_id)
    money = lookup_currency(new.currency or customer.currency)
    if new.amount <= ZERO:
        raise ValidationFailed.field("amount", "must be greater than zero")
    check_fits(new.amount, money)
    if new.expires_on is not None and new.expires_on <= actor.today():
        raise ValidationFailed.field(
            "expiresOn", "must be after today (UTC): it is the first day the credit can no longer be used"
        )
    entry = m.CreditEntry(
        id=new_id(),
        organization_id=actor.organization_id,
        customer_id=customer.id,
        currency=money.code,
        amount=new.amount,
        kind=GRANT,
        reason=new.reason,
        expires_at=new.expires_on,
        invoice_id=None,
        payment_id=None,
        created_at=utcnow(),
        remaining=new.amount,
    )
    await uow.repo.add(entry)
    await credit_balance_changed(uow, actor, customer.id, money.code)
    return entry


def _balances(grants: Sequence[LedgerEntry], as_of: date) -> list[CreditBalance]:
    """Per currency of ``grants`` (by code), the credit they hold that is usable on ``as_of``."""
    by_currency: dict[str, list[CreditGrant]] = {}
    for entry in grants:
        if entry.kind == GRANT:
            held = entry.remaining or ZERO
            by_currency.setdefault(entry.currency, []).append(
                CreditGrant(str(entry.id), held, entry.created_at.date(), entry.expires_at)
            )
    balances = []
    for code in sorted(by_currency):
        money = lookup_currency(code)
        available = available_credit(by_currency[code], [], as_of=as_of, exponent=money.exponent)
        balances.append(CreditBalance(money, available))
    return balances


async def ledger(
    uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID, *, limit: int, after: uuid.UUID | None = None
) -> CreditLedger:
    """Up to ``limit`` of the customer's entries, newest first (those older than the entry ``after``),
    and per currency the credit available today (UTC)."""
    customer = await get_customer(uow, actor, customer_id)
    filters = [m.CreditEntry.customer_id == customer.id]
    entries, more = await uow.repo.page(
        m.CreditEntry, actor.organization_id, limit=limit, after=after, filters=filters
    )
    grants = await uow.repo.credit_grants_of(actor.organization_id, customer.id)
    return CreditLedger(list(entries), _balances(grants, actor.today()), more)


async def balances(
    uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID, *, known: m.Customer | None = None
) -> list[CreditBalance]:
    """Per currency the customer has credit in, what is available today (UTC), from its grants
    alone. ``known``: the customer, read in this transaction already (not read again)."""
    if known is None or known.id != customer_id:
        await get_customer(uow, actor, customer_id)
    grants = await uow.repo.credit_grants_of(actor.organization_id, customer_id)
    return _balances(grants, actor.today())


async def credit_grants_and_uses(
    uow: UnitOfWork,
    actor: Actor,
    customer_id: uuid.UUID,
    currency: str,
    *,
    invoice_id: uuid.UUID | None = None,
    lock: bool = False,
    known: m.Customer | None = None,
) -> tuple[list[CreditGrant], list[CreditUse]]:
    """The credit ``invoice_id`` can take in ``currency``, as :func:`billfold.core.credits.apply_credits`
    takes it: the customer's grants that hold credit, oldest first, and the invoice's own uses of them
    (none for an invoice never issued), each grant's amount what it holds plus what the invoice took of
    it (a grant's id is ``str(entry.id)``; a use's ``invoice_id`` is ``str(invoice id)``). Without
    ``invoice_id``, the grants as they are and no use.

    With ``lock`` the customer's row is locked for the rest of the transaction first, so two
    invoices of one customer issued at once take credit one after the other (pass it at issue, where
    :func:`record_credit_uses` follows; it needs a writable unit of work). ``known``: the customer, read
    in this transaction already (without ``lock``, it is not read again).
    """
    if known is not None and not lock and known.id == customer_id:
        customer = known
    else:
        customer = await _customer(uow, actor, customer_id, lock=lock)
    organization_id = actor.organization_id
    rows = await uow.repo.credit_for_invoice(organization_id, customer.id, currency, invoice_id)
    grants = {str(row.id): row for row in rows if row.kind == GRANT}
    _, uses = grants_and_uses([row for row in rows if row.kind != GRANT])
    spent = {use.grant_id for use in uses} - grants.keys()  # the invoice took all they held
    for row in await uow.repo.credit_entries_by_ids(organization_id, [uuid.UUID(g) for g in spent]):
        grants[str(row.id)] = row
    took = _spent(uses)
    ordered = sorted(grants.values(), key=lambda entry: (entry.created_at, entry.id))
    return [
        CreditGrant(
            str(entry.id),
            add(entry.remaining or ZERO, took.get(str(entry.id), ZERO)),
            entry.created_at.date(),
            entry.expires_at,
        )
        for entry in ordered
    ], uses


async def record_credit_uses(
    uow: UnitOfWork,
    actor: Actor,
    customer_id: uuid.UUID,
    invoice_id: uuid.UUID,
    currency: str,
    uses: Sequence[CreditUse],
    *,
    locked_ledger: tuple[list[CreditGrant], list[CreditUse]] | None = None,
) -> None:
    """Write ``uses`` (what :func:`billfold.core.credits.apply_credits` spent on the invoice) to the
    ledger as negative entries of kind ``use``.

    The customer's row is locked and the ledger read again, so the uses are checked against the
    balance as it is now: a grant spent meanwhile by another invoice is a 409 ``credit_balance_changed``
    (retry the issue). If the invoice already has uses in the ledger, ``uses`` must be exactly those
    (``apply_credits`` hands them back, so issuing twice never spends twice) and nothing is written.
    ``locked_ledger``: the grants and uses in ``currency`` as this transaction read them after locking
    the customer's row (every writer of the ledger locks it first, so they are still the ledger); the
    lock and the read are then not repeated.
    """
    if not uses:
        return
    money = lookup_currency(currency)
    invoice_text = str(invoice_id)
    for index, use in enumerate(uses):
        if use.amount <= ZERO:
            raise ValidationFailed.field(f"creditUses[{index}].amount", "must be greater than zero")
        if use.invoice_id is not None and use.invoice_id != invoice_text:
            raise ValidationFailed.field(f"creditUses[{index}].invoiceId", f"must be {invoice_text}")
    if locked_ledger is not None:
        grants, recorded = locked_ledger
    else:
        grants, recorded = await credit_grants_and_uses(
            uow, actor, customer_id, money.code, invoice_id=invoice_id, lock=True
        )
    mine = [use for use in recorded if use.invoice_id == invoice_text]
    if mine:
        if _spent(mine) != _spent(uses):
            raise Conflict(
                f"invoice {invoice_id} already took other credit",
                code="credits_already_applied",
                details={"invoiceId": invoice_text},
            )
        return
    try:
        remaining_units(grants, [*recorded, *uses], money.exponent)
    except CalculationError as error:
        raise Conflict(
            f"the customer's credit changed meanwhile ({error.message}); retry",
            code="credit_balance_changed",
            details={"credits": error.message},
        ) from error
    now = utcnow()
    for use in uses:
        await uow.repo.insert(
            m.CreditEntry(
                id=new_id(),
                organization_id=actor.organization_id,
                customer_id=customer_id,
                currency=money.code,
                amount=use.amount.copy_negate(),
                kind=USE,
                reason=f"{GRANT_REFERENCE}{use.grant_id}",
                expires_at=None,
                invoice_id=invoice_id,
                payment_id=None,
                created_at=now,
            )
        )
    # what each grant holds now: what it held (its amount here, as the invoice had taken nothing of
    # it: ``mine`` is empty) less these uses
    held = {grant.id: grant.amount for grant in grants}
    await _move_grants(uow, actor, held, [(use.grant_id, use.amount.copy_negate()) for use in uses])
    await credit_balance_changed(uow, actor, customer_id, money.code)


async def _move_grants(
    uow: UnitOfWork, actor: Actor, held: dict[str, Decimal], moves: Sequence[tuple[str, Decimal]]
) -> None:
    """Store what grants hold after ``moves`` (grant id, signed amount), given what they ``held``."""
    for grant_id, amount in moves:
        held[grant_id] = add(held.get(grant_id, ZERO), amount)
    changed = {grant_id for grant_id, _ in moves}
    await uow.repo.set_grants_remaining(
        actor.organization_id,
        {uuid.UUID(grant_id): held[grant_id] if held[grant_id] != ZERO else None for grant_id in changed},
    )


def _spent(uses: Sequence[CreditUse]) -> dict[str, Decimal]:
    spent: dict[str, Decimal] = {}
    for use in uses:
        spent[use.grant_id] = add(spent.get(use.grant_id, ZERO), use.amount)
    return spent


def invoice_grant(
    actor: Actor, invoice: m.Invoice, amount: Decimal, reason: str, payment_id: uuid.UUID | None = None
) -> m.CreditEntry:
    """A grant of ``amount`` to the invoice's customer, in its currency, that came from the invoice (a
    payment's excess kept as credit, or credit the invoice sold)."""
    return m.CreditEntry(
        id=new_id(),
        organization_id=actor.organization_id,
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        amount=amount,
        kind=GRANT,
        reason=reason,
        expires_at=None,
        invoice_id=invoice.id,
        payment_id=payment_id,
        created_at=utcnow(),
        remaining=amount if amount > ZERO else None,
    )


async def grant_purchased_credit(uow: UnitOfWork, actor: Actor, invoice: m.Invoice) -> None:
    """A paid invoice's ``credit_purchase`` lines become the customer's prepaid credit: each grants its
    net amount (what was bought, before tax), in the invoice's currency."""
    bought = await uow.repo.net_amounts_of_scope(invoice.organization_id, invoice.id, "credit_purchase")
    for net_amount in bought:
        if net_amount <= ZERO:
            continue
        reason = f"credit purchase on invoice {invoice.invoice_number or invoice.id}"
        uow.session.add(invoice_grant(actor, invoice, net_amount, reason))
        await credit_balance_changed(uow, actor, invoice.customer_id, invoice.currency)


RETURN = "return"


async def return_invoice_credits(uow: UnitOfWork, actor: Actor, invoice: m.Invoice) -> None:
    """A voided invoice gives back the credit it applied: for each grant it used, a positive entry of
    kind ``return`` naming the invoice and the grant, so each grant holds again what the invoice took
    (the customer's row is locked first, as every writer of the balance does)."""
    customer = await _customer(uow, actor, invoice.customer_id, lock=True)
    organization_id = actor.organization_id
    moves = await uow.repo.credit_entries_of_invoice(organization_id, invoice.id, invoice.currency)
    _, uses = grants_and_uses(moves)
    uses = [use for use in uses if use.invoice_id == str(invoice.id) and use.amount > ZERO]
    grants = await uow.repo.credit_entries_by_ids(organization_id, [uuid.UUID(use.grant_id) for use in uses])
    now = utcnow()
    for use in uses:
        await uow.repo.insert(
            m.CreditEntry(
                id=new_id(),
                organization_id=organization_id,
                customer_id=customer.id,
                currency=invoice.currency,
                amount=use.amount,
                kind=RETURN,
                reason=f"{GRANT_REFERENCE}{use.grant_id}",
                expires_at=None,
                invoice_id=invoice.id,
                payment_id=None,
                created_at=now,
            )
        )
    held = {str(grant.id): grant.remaining or ZERO for grant in grants}
    await _move_grants(uow, actor, held, [(use.grant_id, use.amount) for use in uses])
    await credit_balance_changed(uow, actor, customer.id, invoice.currency)
