"""Splitting a line's rounded amount over its sub lines.

Largest remainder (:func:`shares`), as :func:`billfold.core.money.allocate` does it, with one
difference in the quotas: the sub lines' exact amounts already sum to the line's exact amount, which
is within one minor unit of the rounded amount, so each part's quota is its exact amount itself and
no division is needed. Each part is its exact amount rounded down to the minor unit, then the minor
units still missing go one each to the parts with the largest remainders, ties to the earliest part.
So the parts sum exactly to the rounded amount, each is within one minor unit of its exact amount, a
part that is already a whole number of minor units is shown unchanged, and parts of either sign work
(a credit tier beside a flat fee). When the exact total is already a whole number of minor units and
no part is negative, the result equals :func:`~billfold.core.money.allocate`'s.

Proration uses :func:`cumulative_shares` instead: each part is its rounded running total minus the
previous rounded running total, so intervals billed one by one add up to the whole period's amount.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import Decimal

from billfold.core.money import CONTEXT, ZERO, RoundingMode, quantize

MAX_EXPONENT = 18
_QUANTA = tuple(Decimal(1).scaleb(-exponent, CONTEXT) for exponent in range(MAX_EXPONENT + 1))
_FLOOR = decimal.ROUND_FLOOR


def quantum(exponent: int) -> Decimal:
    """The minor unit for ``exponent`` decimal places (``2`` -> ``0.01``)."""
    if not 0 <= exponent <= MAX_EXPONENT:
        raise ValueError(f"currency exponent must be between 0 and {MAX_EXPONENT}, not {exponent}")
    return _QUANTA[exponent]


def shares(total: Decimal, exacts: Sequence[Decimal], exponent: int) -> list[Decimal]:
    """Split ``total`` (a whole number of minor units, within one minor unit of ``sum(exacts)``)
    over parts whose exact amounts are ``exacts``, by largest remainder (see the module docstring)."""
    count = len(exacts)
    if count <= 1:
        if count == 0 and not total.is_zero():
            raise ValueError("cannot split a non-zero amount over no parts")
        return [total] * count
    if total < ZERO:
        negated = [CONTEXT.minus(exact) for exact in exacts]
        return [CONTEXT.minus(part) for part in _split(CONTEXT.minus(total), negated, exponent)]
    return _split(total, exacts, exponent)


def _split(total: Decimal, exacts: Sequence[Decimal], exponent: int) -> list[Decimal]:
    unit = quantum(exponent)
    context = CONTEXT
    parts = [exact.quantize(unit, rounding=_FLOOR, context=context) for exact in exacts]
    floor_sum = ZERO
    for part in parts:
        floor_sum = context.add(floor_sum, part)
    missing = int(context.divide(context.subtract(total, floor_sum), unit))
    if missing == 0:
        return parts
    if not 0 < missing <= len(parts):
        raise ValueError(f"total {total} is not within one minor unit of the parts' exact sum")
    remainders = [context.subtract(exact, part) for exact, part in zip(exacts, parts, strict=True)]
    # A stable sort keeps equal remainders in their original order: ties go to the earliest part.
    order = sorted(range(len(parts)), key=remainders.__getitem__, reverse=True)
    for index in order[:missing]:
        parts[index] = context.add(parts[index], unit)
    return parts


def cumulative_shares(exacts: Sequence[Decimal], exponent: int, mode: RoundingMode) -> list[Decimal]:
    """Round running totals: each part is ``round(running total) - round(previous running total)``,
    so the parts sum to ``round(sum(exacts))`` and a period billed interval by interval totals the
    same as billed at once."""
    running = ZERO
    previous = ZERO
    result: list[Decimal] = []
    for exact in exacts:
        running = CONTEXT.add(running, exact)
        rounded = quantize(running, exponent, mode)
        result.append(CONTEXT.subtract(rounded, previous))
        previous = rounded
    return result
