"""Adjustments on a line item, a group or the invoice: discounts, minimums, maximums and offsets.

Kinds are Orb's (https://docs.withorb.com/product-catalog/adjustments) plus Aira's two:

* ``usage_discount``: free units off the covered lines' usage, valued by re-pricing the rest;
* ``amount_discount`` and Aira's ``monetary_discount`` (the same thing): a fixed amount off;
* ``percentage_discount``: a percent (``"15"`` is 15 %) of the covered amount off;
* ``minimum``: tops the covered amount up to at least ``amount``;
* ``maximum``: cuts the covered amount down to at most ``amount``;
* ``allocation_offset`` (Aira): a signed amount moved onto (positive) or off (negative) a line or a
  group; the offsets of an invoice must net to zero, which the invoice calculation checks.

Order. Within one scope, adjustments apply in Orb's order: usage discount, amount (and monetary)
discount, percentage discount, minimum, maximum, then allocation offsets (a transfer of what the others
settled); adjustments of the same kind keep their given order. Scopes apply line, then group, then
invoice: each adjustment sees the amounts the previous ones left.

Scope. A line's adjustment covers its line; a group's covers the group's lines; the invoice's covers
every line. ``applies_to`` narrows that to some products and/or prices (Orb's ``applies_to_price_ids``
and item filters: each list given must contain the line's id). An adjustment is computed once on the
total it covers (10 % of three lines of 0.05 is round(0.015) = 0.02, not 3 x round(0.005) = 0.03) and
its effect split over the covered lines by largest remainder (:func:`billfold.core.money.allocate_units`),
so lines, groups and the invoice add up. A line-level adjustment is the case of one covered line.

Discounts apply only to positive amounts: the base of a discount is the sum of the covered lines'
positive amounts, each line's share is in proportion to its positive amount, and so no share is more
than the line has: a discount never takes a line below zero and never touches a credit line. What a
discount cannot apply (an amount discount larger than what it covers, free units beyond the usage) is
reported on the adjustment as ``unapplied_amount`` / ``unapplied_usage``, never silently lost. A
minimum's top-up and a maximum's cut go by the same positive weights (evenly when there are none);
an offset's by the lines' amounts. Offsets are transfers, not discounts, so they may take a line
below zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from billfold.core.cells import allocate_in_cells
from billfold.core.money import CONTEXT, ZERO, RoundingMode, add, allocate_units, multiply, quantize
from billfold.core.split import HUNDRED, CalculationError, from_units, to_units


class AdjustmentKind(StrEnum):
    USAGE_DISCOUNT = "usage_discount"
    AMOUNT_DISCOUNT = "amount_discount"
    PERCENTAGE_DISCOUNT = "percentage_discount"
    MINIMUM = "minimum"
    MAXIMUM = "maximum"
    MONETARY_DISCOUNT = "monetary_discount"
    ALLOCATION_OFFSET = "allocation_offset"


class AdjustmentScope(StrEnum):
    LINE = "line"
    GROUP = "group"
    INVOICE = "invoice"


ORB_ORDER = {
    AdjustmentKind.USAGE_DISCOUNT: 0,
    AdjustmentKind.AMOUNT_DISCOUNT: 1,
    AdjustmentKind.MONETARY_DISCOUNT: 1,
    AdjustmentKind.PERCENTAGE_DISCOUNT: 2,
    AdjustmentKind.MINIMUM: 3,
    AdjustmentKind.MAXIMUM: 4,
    AdjustmentKind.ALLOCATION_OFFSET: 5,
}
DISCOUNT_KINDS = frozenset(
    {
        AdjustmentKind.USAGE_DISCOUNT,
        AdjustmentKind.AMOUNT_DISCOUNT,
        AdjustmentKind.MONETARY_DISCOUNT,
        AdjustmentKind.PERCENTAGE_DISCOUNT,
    }
)
"""Kinds counted in ``discountAmount``. A maximum's cut is an adjustment but not a discount."""


@dataclass(frozen=True, slots=True)
class AppliesTo:
    """Limits an adjustment to lines of some products and/or prices. An empty set does not limit;
    when both are given a line must match both (as Orb's filters combine)."""

    product_ids: frozenset[str] = frozenset()
    price_ids: frozenset[str] = frozenset()

    def covers(self, product_id: str | None, price_id: str | None) -> bool:
        return (not self.product_ids or product_id in self.product_ids) and (
            not self.price_ids or price_id in self.price_ids
        )


@dataclass(frozen=True, slots=True)
class Adjustment:
    """An adjustment as defined on a line, a group or the invoice. Validated on construction.

    ``amount`` (money) is required by the amount and monetary discounts, minimum, maximum and
    allocation offset (signed for an offset, non-negative otherwise); ``percentage`` (a percent
    between 0 and 100) by the percentage discount; ``usage`` (free units, non-negative) by the usage
    discount. An invalid field raises :class:`~billfold.core.split.CalculationError` naming it
    (``amount``, ``percentage``, ``usage``); :meth:`CalculationError.at` nests it under a path.
    """

    id: str
    kind: AdjustmentKind
    amount: Decimal | None = None
    percentage: Decimal | None = None
    usage: Decimal | None = None
    applies_to: AppliesTo | None = None
    name: str = ""

    def __post_init__(self) -> None:
        try:
            kind = AdjustmentKind(self.kind)
        except ValueError:
            raise CalculationError("type", f"unknown adjustment type {self.kind!r}") from None
        object.__setattr__(self, "kind", kind)  # a plain string becomes the enum member
        if kind is AdjustmentKind.USAGE_DISCOUNT:
            _check_decimal("usage", self.usage, minimum=ZERO)
        elif kind is AdjustmentKind.PERCENTAGE_DISCOUNT:
            _check_decimal("percentage", self.percentage, minimum=ZERO, maximum=HUNDRED)
        else:
            minimum = None if kind is AdjustmentKind.ALLOCATION_OFFSET else ZERO
            _check_decimal("amount", self.amount, minimum=minimum)

    def covers(self, product_id: str | None, price_id: str | None) -> bool:
        return self.applies_to is None or self.applies_to.covers(product_id, price_id)


def _check_decimal(
    name: str, value: Decimal | None, *, minimum: Decimal | None, maximum: Decimal | None = None
) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise CalculationError(name, "is required and must be a finite decimal")
    if minimum is not None and value < minimum:
        raise CalculationError(name, f"must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise CalculationError(name, f"must be at most {maximum}")


@dataclass(frozen=True, slots=True)
class Usage:
    """What a usage discount needs of a line: its (remaining) usage and ``reprice``, the line's rounded
    base amount for a given usage (``quantity × unitPrice`` for a plain line; the price model for a
    priced one). Free units are valued as ``reprice(quantity) - reprice(quantity - free)``."""

    quantity: Decimal
    reprice: Callable[[Decimal], Decimal]


class LineAdjustment(NamedTuple):
    """An adjustment as shown on one line (Aira's ``lineItems[].adjustments[]``): the line's signed
    share of it (discounts negative). A named tuple rather than a frozen dataclass: an invoice-level
    discount puts one on every line, and a tuple costs half as much to build (measured)."""

    adjustment_id: str
    kind: AdjustmentKind
    name: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class AdjustmentResult:
    """What one adjustment did: ``amount`` is its signed effect (Σ of the covered lines' shares;
    discounts negative); ``unapplied_amount`` the money it could not apply; ``unapplied_usage`` the
    free units it found no usage for. ``scope_id`` is the line's or group's id (``None`` for the
    invoice)."""

    adjustment_id: str
    kind: AdjustmentKind
    name: str
    scope: AdjustmentScope
    scope_id: str | None
    amount: Decimal
    unapplied_amount: Decimal
    unapplied_usage: Decimal


@dataclass(slots=True)
class AdjustableLines:
    """The working state of an invoice's lines while adjustments apply: parallel lists in minor units.

    ``amounts`` are the current amounts (the rounded base to start with), ``discounts`` the positive sum
    of discount shares, ``adjustments`` the signed sum of every share; ``usages`` the remaining usage
    (``None`` for a line without usage); ``shown`` the shares each line shows, by line index;
    ``results`` what each adjustment did, in the order applied. ``cells`` (each line's cell rank,
    :mod:`billfold.core.cells`) makes covering adjustments split in two steps, over cells then lines.
    """

    amounts: list[int]
    product_ids: Sequence[str | None]
    price_ids: Sequence[str | None]
    usages: list[Usage | None]
    discounts: list[int] = field(default_factory=list)
    adjustments: list[int] = field(default_factory=list)
    shown: dict[int, list[tuple[Adjustment, int]]] = field(default_factory=dict)
    results: list[AdjustmentResult] = field(default_factory=list)
    cells: list[int] | None = None

    def split(self, total: int, weights: list[int], covered: list[int]) -> list[int]:
        """``total`` over the ``covered`` lines by ``weights``: in two steps when cells are given."""
        if self.cells is None or len(covered) < 2:
            return allocate_units(total, weights)
        return allocate_in_cells(total, weights, [self.cells[i] for i in covered])

    def __post_init__(self) -> None:
        if not self.discounts:
            self.discounts = [0] * len(self.amounts)
        if not self.adjustments:
            self.adjustments = [0] * len(self.amounts)


class Scope(NamedTuple):
    """One scope's adjustments and the lines (indices) they may cover. ``scope_id`` is the line's or
    group's id (``None`` for the invoice); ``path`` names the adjustments in errors
    (``lines[3].adjustments``)."""

    kind: AdjustmentScope
    scope_id: str | None
    adjustments: Sequence[Adjustment]
    indices: Sequence[int]
    path: str


def apply_scopes(
    lines: AdjustableLines, scopes: Iterable[Scope], *, exponent: int, mode: RoundingMode
) -> None:
    """Apply each scope in turn (the lines', then the groups', then the invoice's), updating ``lines``
    in place, then check that the allocation offsets net to zero."""
    for scope in scopes:
        apply_scope(lines, scope, exponent=exponent, mode=mode)
    offsets = [r for r in lines.results if r.kind is AdjustmentKind.ALLOCATION_OFFSET]
    if add(*(r.amount for r in offsets)) != ZERO or any(r.unapplied_amount for r in offsets):
        raise CalculationError(
            "adjustments", "allocation offsets must move amounts between lines and net to zero"
        )


def apply_scope(
    lines: AdjustableLines, scope: Scope, *, exponent: int, mode: RoundingMode
) -> list[AdjustmentResult]:
    """Apply one scope's adjustments in Orb's order to its lines (each narrowed by its
    ``applies_to``), updating ``lines`` in place. Returns one result per adjustment, in the order
    applied (they are also appended to ``lines.results``)."""
    results = []
    ordered = sorted(enumerate(scope.adjustments), key=lambda pair: ORB_ORDER[pair[1].kind])
    for position, adjustment in ordered:
        covered = (
            list(scope.indices)
            if adjustment.applies_to is None
            else [i for i in scope.indices if adjustment.covers(lines.product_ids[i], lines.price_ids[i])]
        )
        try:
            shares, unapplied, unapplied_usage = _apply(adjustment, lines, covered, exponent, mode)
        except CalculationError as error:
            raise error.at(f"{scope.path}[{position}]") from None
        _record(lines, adjustment, covered, shares)
        results.append(
            AdjustmentResult(
                adjustment_id=adjustment.id,
                kind=adjustment.kind,
                name=adjustment.name,
                scope=scope.kind,
                scope_id=scope.scope_id,
                amount=from_units(sum(shares), exponent),
                unapplied_amount=from_units(unapplied, exponent),
                unapplied_usage=unapplied_usage,
            )
        )
    lines.results.extend(results)
    return results


def _record(lines: AdjustableLines, adjustment: Adjustment, covered: list[int], shares: list[int]) -> None:
    amounts, totals, shown = lines.amounts, lines.adjustments, lines.shown
    discounts = lines.discounts if adjustment.kind in DISCOUNT_KINDS else None
    for index, share in zip(covered, shares, strict=True):
        if not share:
            continue
        amounts[index] += share
        totals[index] += share
        if discounts is not None:
            discounts[index] -= share
        shown.setdefault(index, []).append((adjustment, share))


def _apply(
    adjustment: Adjustment, lines: AdjustableLines, covered: list[int], exponent: int, mode: RoundingMode
) -> tuple[list[int], int, Decimal]:
    """The signed shares of the covered lines, the unapplied amount (units) and unapplied usage."""
    kind = adjustment.kind
    if kind is AdjustmentKind.USAGE_DISCOUNT:
        return _usage_discount(adjustment, lines, covered, exponent)
    current = [lines.amounts[i] for i in covered]
    positives = [amount if amount > 0 else 0 for amount in current]
    if kind is AdjustmentKind.PERCENTAGE_DISCOUNT:
        assert adjustment.percentage is not None
        exact = CONTEXT.divide(CONTEXT.multiply(Decimal(sum(positives)), adjustment.percentage), HUNDRED)
        discount = int(quantize(exact, 0, mode))  # minor units: exponent 0 here is the currency's
        return [-share for share in lines.split(discount, positives, covered)], 0, ZERO
    assert adjustment.amount is not None
    value = to_units(adjustment.amount, exponent, "amount")
    if not covered:
        unapplied = 0 if kind is AdjustmentKind.MAXIMUM else value
        return [], unapplied, ZERO
    if kind is AdjustmentKind.ALLOCATION_OFFSET:
        return allocate_units(value, current), 0, ZERO
    if kind is AdjustmentKind.MINIMUM:
        return lines.split(max(value - sum(current), 0), positives, covered), 0, ZERO
    if kind is AdjustmentKind.MAXIMUM:
        return [-share for share in lines.split(max(sum(current) - value, 0), positives, covered)], 0, ZERO
    applied = min(value, sum(positives))
    return [-share for share in lines.split(applied, positives, covered)], value - applied, ZERO


def _usage_discount(
    adjustment: Adjustment, lines: AdjustableLines, covered: list[int], exponent: int
) -> tuple[list[int], int, Decimal]:
    """Free units are taken from the covered lines in line order, each line's valued by re-pricing its
    remaining usage; a value the line's positive amount cannot absorb is reported unapplied."""
    assert adjustment.usage is not None
    free = adjustment.usage
    shares: list[int] = []
    lost = 0
    for index in covered:
        usage = lines.usages[index]
        if usage is None or free <= 0 or usage.quantity <= 0:
            shares.append(0)
            continue
        taken = min(free, usage.quantity)
        rest = CONTEXT.subtract(usage.quantity, taken)
        value = to_units(usage.reprice(usage.quantity), exponent, "usage") - to_units(
            usage.reprice(rest), exponent, "usage"
        )
        value = max(value, 0)
        applied = min(value, max(lines.amounts[index], 0))
        lost += value - applied
        shares.append(-applied)
        free = CONTEXT.subtract(free, taken)
        lines.usages[index] = Usage(rest, usage.reprice)
    return shares, lost, free


def line_usage(
    quantity: Decimal | None,
    unit_price: Decimal | None,
    reprice: Callable[[Decimal], Decimal] | None,
    *,
    exponent: int,
    mode: RoundingMode,
) -> Usage | None:
    """A line's :class:`Usage`: ``reprice`` when given, else ``quantity × unit_price`` rounded once
    with ``mode`` (a plain line); ``None`` when the line has no quantity or nothing to price it with.
    An invalid quantity raises on field ``quantity``."""
    if quantity is None:
        return None
    if not isinstance(quantity, Decimal) or not quantity.is_finite() or quantity < 0:
        raise CalculationError("quantity", "must be a non-negative decimal")
    if reprice is not None:
        return Usage(quantity, reprice)
    if unit_price is None:
        return None
    price = unit_price
    return Usage(quantity, lambda usage: quantize(multiply(usage, price), exponent, mode))


def adjust(
    amounts: Sequence[Decimal],
    adjustments: Sequence[Adjustment],
    *,
    exponent: int,
    mode: RoundingMode,
    product_ids: Sequence[str | None] | None = None,
    price_ids: Sequence[str | None] | None = None,
    usages: Sequence[Usage | None] | None = None,
    scope: AdjustmentScope = AdjustmentScope.INVOICE,
    scope_id: str | None = None,
) -> tuple[tuple[Decimal, ...], tuple[AdjustmentResult, ...]]:
    """Apply ``adjustments`` of one scope to lines with the given rounded ``amounts`` (and optional
    product ids, price ids and usage, parallel to them); returns the adjusted amounts and one result per
    adjustment in the order applied. A convenience over :func:`apply_scope` for callers outside the
    invoice calculation; a line-level adjustment is ``adjust([line_amount], [...])``."""
    count = len(amounts)
    lines = AdjustableLines(
        amounts=[to_units(amount, exponent, f"amounts[{i}]") for i, amount in enumerate(amounts)],
        product_ids=product_ids if product_ids is not None else [None] * count,
        price_ids=price_ids if price_ids is not None else [None] * count,
        usages=list(usages) if usages is not None else [None] * count,
    )
    results = apply_scope(
        lines, Scope(scope, scope_id, adjustments, range(count), "adjustments"), exponent=exponent, mode=mode
    )
    return tuple(from_units(units, exponent) for units in lines.amounts), tuple(results)
