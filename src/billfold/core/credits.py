"""Prepaid credit: a customer's balance of grants, applied to an invoice after tax.

The balance is a ledger: :class:`CreditGrant` rows add credit (with an optional expiry), and
:class:`CreditUse` rows spend it, each naming its grant and the invoice it paid. A grant's remaining
credit is its amount minus its uses, so once a use is recorded the same credit cannot be spent again;
recording more uses than a grant holds is an error.

Applying credit (:func:`apply_credits`, at issue): grants usable on the day (``expires_on`` is the
first day a grant can no longer be used) are spent oldest expiring first (grants without expiry
last), then oldest granted, then in the order given, up to the invoice's amount due (after tax; a
zero or negative amount due takes nothing). The result is the uses to record. An invoice that already
has uses in the ledger gets those back instead of new ones, so issuing twice never spends twice.

Per line (:func:`split_credits`): vendors that show credit per line (Orb's ``credits_applied``) get
the applied credit split over the lines by largest remainder on their positive totals, so no line is
credited more than its total and a credit line gets none.

Promotional credit is a discount before tax, not a balance: pass it as an invoice-level amount
discount (:func:`promotional_credit`), never as a grant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billfold.core.adjustments import Adjustment, AdjustmentKind, AppliesTo
from billfold.core.money import allocate_units
from billfold.core.split import CalculationError, from_units, to_units


@dataclass(frozen=True, slots=True)
class CreditGrant:
    """Credit granted to a customer: ``amount`` in the invoice's currency, usable from ``granted_on``
    until the day before ``expires_on`` (forever when ``None``)."""

    id: str
    amount: Decimal
    granted_on: date
    expires_on: date | None = None


@dataclass(frozen=True, slots=True)
class CreditUse:
    """Credit spent from a grant (a ledger row): ``invoice_id`` is the invoice it paid."""

    grant_id: str
    amount: Decimal
    invoice_id: str | None = None


@dataclass(frozen=True, slots=True)
class CreditApplication:
    """What :func:`apply_credits` spent: ``applied`` (``creditsAppliedAmount``) and the uses to record."""

    applied: Decimal
    uses: tuple[CreditUse, ...]


def remaining_units(
    grants: Sequence[CreditGrant], uses: Sequence[CreditUse], exponent: int
) -> dict[str, int]:
    """Each grant's remaining credit in minor units. Uses of unknown grants, or more uses than a grant
    holds, are errors: the ledger must never spend credit twice."""
    remaining: dict[str, int] = {}
    for index, grant in enumerate(grants):
        if grant.id in remaining:
            raise CalculationError(f"creditGrants[{index}].id", "appears twice")
        amount = to_units(grant.amount, exponent, f"creditGrants[{index}].amount")
        if amount < 0:
            raise CalculationError(f"creditGrants[{index}].amount", "must not be negative")
        remaining[grant.id] = amount
    for index, use in enumerate(uses):
        field = f"creditUses[{index}]"
        if use.grant_id not in remaining:
            raise CalculationError(f"{field}.grantId", f"unknown grant {use.grant_id}")
        spent = to_units(use.amount, exponent, f"{field}.amount")
        if spent < 0:
            raise CalculationError(f"{field}.amount", "must not be negative")
        remaining[use.grant_id] -= spent
        if remaining[use.grant_id] < 0:
            raise CalculationError(f"{field}.amount", f"grant {use.grant_id} is overspent")
    return remaining


def usable_grants(grants: Sequence[CreditGrant], as_of: date) -> list[CreditGrant]:
    """Grants usable on ``as_of``, in the order credit is taken from them."""
    usable = [
        grant
        for grant in grants
        if grant.granted_on <= as_of and (grant.expires_on is None or as_of < grant.expires_on)
    ]
    # sorted() is stable, so grants equal on both dates keep the order given.
    return sorted(usable, key=lambda g: (g.expires_on is None, g.expires_on or date.max, g.granted_on))


def available_credit(
    grants: Sequence[CreditGrant], uses: Sequence[CreditUse], *, as_of: date, exponent: int
) -> Decimal:
    """The customer's credit balance usable on ``as_of``."""
    remaining = remaining_units(grants, uses, exponent)
    return from_units(sum(remaining[g.id] for g in usable_grants(grants, as_of)), exponent)


def apply_credits(
    amount_due: Decimal,
    grants: Sequence[CreditGrant],
    uses: Sequence[CreditUse] = (),
    *,
    as_of: date,
    exponent: int,
    invoice_id: str | None = None,
) -> CreditApplication:
    """Spend available credit on an invoice's ``amount_due`` (see the module docstring)."""
    remaining = remaining_units(grants, uses, exponent)
    due = to_units(amount_due, exponent, "amountDue")
    if invoice_id is not None:
        recorded = tuple(use for use in uses if use.invoice_id == invoice_id)
        if recorded:
            spent = sum(to_units(use.amount, exponent, "creditUses.amount") for use in recorded)
            if spent > max(due, 0):
                raise CalculationError("creditUses", f"more credit recorded than invoice {invoice_id} owes")
            return CreditApplication(from_units(spent, exponent), recorded)
    taken: list[CreditUse] = []
    applied = 0
    for grant in usable_grants(grants, as_of):
        if applied >= due:
            break
        take = min(remaining[grant.id], due - applied)
        if take > 0:
            taken.append(CreditUse(grant.id, from_units(take, exponent), invoice_id))
            applied += take
    return CreditApplication(from_units(applied, exponent), tuple(taken))


def credits_to_apply(
    total: int,
    *,
    applied: Decimal | None,
    grants: Sequence[CreditGrant],
    uses: Sequence[CreditUse],
    as_of: date | None,
    invoice_id: str | None,
    exponent: int,
) -> tuple[int, tuple[CreditUse, ...]]:
    """The credit (minor units) on an invoice whose total is ``total`` minor units, and the new uses:
    ``applied`` when given (an amount frozen at issue; between zero and the amount due), else what
    :func:`apply_credits` spends of ``grants`` on ``as_of``, else none."""
    if applied is not None:
        units = to_units(applied, exponent, "creditsAppliedAmount")
        if not 0 <= units <= max(total, 0):
            raise CalculationError("creditsAppliedAmount", "must be between zero and the amount due")
        return units, ()
    if not grants:
        return 0, ()
    if as_of is None:
        raise CalculationError("creditsAsOf", "is required to apply credit grants")
    due = from_units(total, exponent)
    application = apply_credits(due, grants, uses, as_of=as_of, exponent=exponent, invoice_id=invoice_id)
    return to_units(application.applied, exponent, "creditsAppliedAmount"), application.uses


def split_credits_units(applied: int, totals: Sequence[int]) -> list[int]:
    """``applied`` minor units split over lines with ``totals`` by largest remainder on the positive
    totals. Requires ``0 <= applied <= Σ positive totals``, so no share exceeds its line's total."""
    positives = [total if total > 0 else 0 for total in totals]
    if not 0 <= applied <= sum(positives):
        raise CalculationError("creditsAppliedAmount", "must be between zero and the amount due")
    return allocate_units(applied, positives)


def split_credits(applied: Decimal, totals: Sequence[Decimal], *, exponent: int) -> tuple[Decimal, ...]:
    """Each line's share of the applied credit (Orb's per-line ``credits_applied``)."""
    units = split_credits_units(
        to_units(applied, exponent, "creditsAppliedAmount"),
        [to_units(total, exponent, f"totals[{i}]") for i, total in enumerate(totals)],
    )
    return tuple(from_units(share, exponent) for share in units)


def promotional_credit(
    adjustment_id: str,
    amount: Decimal,
    *,
    applies_to: AppliesTo | None = None,
    name: str = "Promotional credit",
) -> Adjustment:
    """Promotional credit as what it is: an amount discount before tax (pass it among the invoice's
    adjustments). Its unapplied part is reported on the adjustment like any discount's."""
    return Adjustment(
        adjustment_id, AdjustmentKind.AMOUNT_DISCOUNT, amount=amount, applies_to=applies_to, name=name
    )
