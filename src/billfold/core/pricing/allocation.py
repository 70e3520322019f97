"""Splitting a line's rounded amount over its sub lines.

Largest remainder (:func:`shares`, through :func:`billfold.core.money.largest_remainder`, as
:func:`billfold.core.money.allocate` does it), with one difference in the quotas: the sub lines' exact
amounts already sum to the line's exact amount, which is within one minor unit of the rounded amount,
so each part's quota is its exact amount itself and no division is needed. Each part is its exact
amount rounded down to the minor unit, then the minor units still missing go one each to the parts
with the largest remainders, ties to the earliest part. So the parts sum exactly to the rounded
amount, each is within one minor unit of its exact amount, a part that is already a whole number of
minor units is shown unchanged, and parts of either sign work (a negative unit price topped up by a
minimum). When the exact total is already a whole number of minor units and no part is negative, the
result equals :func:`~billfold.core.money.allocate`'s.

Proration uses :func:`cumulative_shares` instead: each part is its rounded running total minus the
previous rounded running total, so intervals billed one by one add up to the whole period's amount.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import Decimal
from functools import reduce

from billfold.core.money import CONTEXT, ZERO, RoundingMode, largest_remainder, quantize

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
    over parts whose exact amounts are ``exacts``, by largest remainder (see the module docstring).
    Every part has the exponent of the minor unit (``25.00``, never ``25.0000``)."""
    unit = quantum(exponent)
    whole = total.quantize(unit, _FLOOR, CONTEXT)
    if whole != total:
        raise ValueError(f"total {total} is not a whole number of {unit}")
    count = len(exacts)
    if count <= 1:
        if count == 0 and not whole.is_zero():
            raise ValueError("cannot split a non-zero amount over no parts")
        return [whole] * count
    if whole < ZERO:  # split the magnitude over the negated parts
        return [
            CONTEXT.minus(part)
            for part in _split(CONTEXT.minus(whole), [CONTEXT.minus(e) for e in exacts], exponent)
        ]
    return _split(whole, exacts, exponent)


def _split(total: Decimal, exacts: Sequence[Decimal], exponent: int) -> list[Decimal]:
    context, unit = CONTEXT, quantum(exponent)
    parts = [exact.quantize(unit, _FLOOR, context) for exact in exacts]
    missing = int(context.subtract(total, reduce(context.add, parts, ZERO)).scaleb(exponent, context))
    if missing == 0:
        return parts
    remainders = [context.subtract(exact, part) for exact, part in zip(exacts, parts, strict=True)]
    try:
        chosen = largest_remainder(missing, remainders)
    except ValueError:
        raise ValueError(f"total {total} is not within one minor unit of the parts' exact sum") from None
    for index in chosen:
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
