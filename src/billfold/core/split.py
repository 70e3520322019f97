"""Splitting amounts in the invoice calculation: conversions to and from whole minor units, and the
percent split of an invoice across payment accounts.

The invoice calculation works in whole minor units (``int``: cents for USD, yen for JPY) so that its hot
loops are integer arithmetic; :func:`to_units` and :func:`from_units` convert at the edges, and every
split of those units is :func:`billfold.core.money.allocate_units` (largest remainder, ties to the
earliest part), the same split :func:`billfold.core.money.allocate` makes of amounts.

Percent split (Aira's ``invoiceAllocationStrategy: percent_split``): the invoice's net, tax and credits
are each split over the payment accounts by largest remainder on their percentages, and every other
figure is derived from those three (``total = net + tax``, ``amountDue = total - credits``), so each
share reconciles and the shares sum exactly to the invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from billfold.core.money import CONTEXT, ZERO, allocate_units, integer_weights

MAX_EXPONENT = 18
HUNDRED = Decimal(100)


class CalculationError(ValueError):
    """Input to the invoice calculation is invalid. ``field`` names the offending field by its API
    path in camelCase (``lines[3].subtotalAmount``, ``allocations[1].percentage``); ``message`` says
    what is wrong with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def at(self, prefix: str) -> CalculationError:
        """The same error with its field nested under ``prefix`` (``adjustments[2]`` + ``amount``)."""
        return type(self)(f"{prefix}.{self.field}" if self.field else prefix, self.message)


def check_exponent(exponent: int) -> None:
    if not 0 <= exponent <= MAX_EXPONENT:
        raise CalculationError("exponent", f"must be between 0 and {MAX_EXPONENT}")


def to_units(value: Decimal, exponent: int, field: str) -> int:
    """``value`` in whole minor units (``12.34`` at exponent 2 -> ``1234``); a value that is not a whole
    number of minor units, or not finite, is a :class:`CalculationError` on ``field``."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise CalculationError(field, "must be a finite decimal")
    scaled = value.scaleb(exponent, CONTEXT)
    units = int(scaled)
    if units != scaled:
        raise CalculationError(field, f"must be a whole number of minor units ({exponent} decimal places)")
    return units


def from_units(units: int, exponent: int) -> Decimal:
    """Minor units back to an amount with exactly ``exponent`` decimal places (``5`` -> ``0.05``)."""
    return Decimal(units).scaleb(-exponent, CONTEXT)


class DecimalCache(dict[int, Decimal]):
    """Minor units to amounts, each distinct value converted once: ``cache[units]`` is
    ``from_units(units, exponent)``. Turning an invoice's figures back into amounts is most of the cost
    of reading a large invoice, and its figures repeat."""

    def __init__(self, exponent: int) -> None:
        super().__init__()
        self.exponent = exponent

    def __missing__(self, units: int) -> Decimal:
        value = self[units] = from_units(units, self.exponent)
        return value


class AllocationStrategy(StrEnum):
    """Aira's ``invoiceAllocationStrategy``: one payment account, or a percent split over several."""

    SINGLE = "single"
    PERCENT_SPLIT = "percent_split"


@dataclass(frozen=True, slots=True)
class PaymentAllocation:
    """One payment account's part of a percent-split invoice; ``percentage`` is a percent (``"60"``)."""

    payment_account_id: str
    percentage: Decimal


@dataclass(frozen=True, slots=True)
class AccountShare:
    """A payment account's share of the invoice: ``net``, ``tax`` and ``credits_applied`` are split
    from the invoice's; ``total = net + tax`` and ``amount_due = total - credits_applied``."""

    payment_account_id: str
    percentage: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal
    credits_applied: Decimal
    amount_due: Decimal


def check_allocations(allocations: Sequence[PaymentAllocation], field: str = "allocations") -> None:
    """At least one allocation, distinct accounts, percentages in [0, 100] summing to exactly 100."""
    if not allocations:
        raise CalculationError(field, "a percent split needs at least one payment account")
    seen: set[str] = set()
    total = ZERO
    for index, allocation in enumerate(allocations):
        percentage = allocation.percentage
        if not isinstance(percentage, Decimal) or not percentage.is_finite() or not 0 <= percentage <= 100:
            raise CalculationError(f"{field}[{index}].percentage", "must be a percent between 0 and 100")
        if allocation.payment_account_id in seen:
            raise CalculationError(f"{field}[{index}].paymentAccountId", "appears twice")
        seen.add(allocation.payment_account_id)
        total = CONTEXT.add(total, percentage)
    if total != HUNDRED:
        raise CalculationError(field, f"percentages must sum to 100, not {total}")


def percent_split(
    allocations: Sequence[PaymentAllocation],
    *,
    net: Decimal,
    tax: Decimal,
    credits_applied: Decimal,
    exponent: int,
) -> tuple[AccountShare, ...]:
    """Each payment account's share of an invoice (see the module docstring).

    Net, tax and credits are each split by largest remainder on the percentages, so each differs from
    its exact share by less than one minor unit. One guard: an account's credits never exceed its
    total (which would ask it for a negative amount). That can only happen when the credits cover all
    or nearly all of the invoice, and then the excess minor units move to the first accounts with room,
    so the shares still sum to the invoice's credits exactly.
    """
    check_exponent(exponent)
    check_allocations(allocations)
    weights = integer_weights([allocation.percentage for allocation in allocations])
    nets = allocate_units(to_units(net, exponent, "net"), weights)
    taxes = allocate_units(to_units(tax, exponent, "tax"), weights)
    totals = [n + t for n, t in zip(nets, taxes, strict=True)]
    credit_units = to_units(credits_applied, exponent, "creditsApplied")
    credits = allocate_units(credit_units, weights)
    if 0 <= credit_units <= sum(totals):
        _cap_credits(credits, totals)
    return tuple(
        AccountShare(
            payment_account_id=allocation.payment_account_id,
            percentage=allocation.percentage,
            net=from_units(n, exponent),
            tax=from_units(t, exponent),
            total=from_units(n + t, exponent),
            credits_applied=from_units(c, exponent),
            amount_due=from_units(n + t - c, exponent),
        )
        for allocation, n, t, c in zip(allocations, nets, taxes, credits, strict=True)
    )


def _cap_credits(credits: list[int], totals: Sequence[int]) -> None:
    """Move credits above an account's (non-negative part of its) total to the first accounts with
    room. Room exists: the credits are at most the sum of the totals."""
    excess = 0
    for index, total in enumerate(totals):
        ceiling = max(total, 0)
        if credits[index] > ceiling:
            excess += credits[index] - ceiling
            credits[index] = ceiling
    for index, total in enumerate(totals):
        if not excess:
            return
        room = max(total, 0) - credits[index]
        if room > 0:
            moved = min(room, excess)
            credits[index] += moved
            excess -= moved
