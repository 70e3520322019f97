"""What pricing produces: the exact amount of a model with its parts, and the priced line with its
sub line items.

Sub line item types are Aira's (``price_tier_flat``, ``price_tier_unit``, ``price_tier_package``,
``price_tier_basis_points``, ``unit_price``, ``fixed_price``, ``minimum_amount``, ``proration``), and
each also carries Orb's kind (``tier``, ``matrix``, ``other``), so every dialect can map them directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from billfold.core.money import CONTEXT, ZERO


class SubLineType(StrEnum):
    """Aira's sub line item types."""

    FIXED_PRICE = "fixed_price"
    MINIMUM_AMOUNT = "minimum_amount"
    PRICE_TIER_FLAT = "price_tier_flat"
    PRICE_TIER_UNIT = "price_tier_unit"
    PRICE_TIER_PACKAGE = "price_tier_package"
    PRICE_TIER_BASIS_POINTS = "price_tier_basis_points"
    PRORATION = "proration"
    UNIT_PRICE = "unit_price"


class OrbType(StrEnum):
    """Orb's sub line item kinds."""

    TIER = "tier"
    MATRIX = "matrix"
    OTHER = "other"


MetaValue = Decimal | int | str | date | tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class SubLineKind:
    """What a sub line item is, apart from its usage and amount: its type, a human-readable name and
    the facts it came from (``metadata``: tier bounds, prices, package size, proration dates...), keyed
    by their camelCase API names. Tier kinds are built once per price and shared by every line."""

    type: SubLineType
    name: str
    orb_type: OrbType
    metadata: Mapping[str, MetaValue]


def make_kind(
    type_: SubLineType, name: str, orb_type: OrbType, metadata: dict[str, MetaValue]
) -> SubLineKind:
    """A :class:`SubLineKind` whose metadata is a read-only view (kinds are shared between lines)."""
    return SubLineKind(type_, name, orb_type, MappingProxyType(metadata))


Part = tuple[SubLineKind, Decimal | None, Decimal]
"""One exact contribution of a model: (kind, usage, exact amount)."""


class SubLine(NamedTuple):
    """A sub line item: its kind, usage, ``amount`` (its share of the line's rounded amount) and
    ``exact_amount`` (its unrounded contribution).

    A named tuple rather than a frozen dataclass: a line has up to a dozen of these and building a
    tuple costs a third of a frozen dataclass (measured; see docs/benchmarks.md).
    """

    kind: SubLineKind
    usage: Decimal | None
    amount: Decimal
    exact_amount: Decimal

    @property
    def type(self) -> SubLineType:
        return self.kind.type

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def orb_type(self) -> OrbType:
        return self.kind.orb_type

    @property
    def metadata(self) -> Mapping[str, MetaValue]:
        return self.kind.metadata


@dataclass(frozen=True, slots=True)
class LineResult:
    """A priced line.

    ``amount`` is ``exact_amount`` rounded once to the currency's exponent; the sub lines' amounts sum
    to it exactly. ``usage`` is the total usage before free units, ``free_units`` the free units taken
    off it, ``minimum_applied`` the exact top-up added by the price's minimum (zero when none).
    """

    amount: Decimal
    exact_amount: Decimal
    sub_lines: tuple[SubLine, ...]
    usage: Decimal | None
    free_units: Decimal
    minimum_applied: Decimal


ISO_EXPONENTS = range(5)
"""Currency exponents ISO 4217 uses (0 for JPY up to 4 for CLF), for which prefixes are settled."""


class SharedParts:
    """Parts that lines share in leading runs, such as the fully used tiers of a graduated price: a line
    whose quantity ends in tier ``k`` uses the parts of tiers ``1 … k-1`` in full.

    Built once per price, in time linear in the number of parts: ``totals[count]`` is the exact sum of
    the first ``count`` parts. The finished sub lines of each ISO 4217 exponent are built on first use
    (a price is priced at one or two exponents), for the leading parts whose exact amounts are whole,
    non-negative numbers of minor units: the largest-remainder split never gives such a part more than
    its exact amount (see :mod:`~billfold.core.pricing.allocation`), so a line whose prefix is all
    such parts needs only its own parts split, and the result is the same as splitting all of them.
    """

    __slots__ = ("_settled", "parts", "totals")

    def __init__(self, parts: Sequence[Part]) -> None:
        self.parts: tuple[Part, ...] = tuple(parts)
        totals = [ZERO]
        for part in self.parts:
            totals.append(CONTEXT.add(totals[-1], part[2]))
        self.totals: tuple[Decimal, ...] = tuple(totals)
        self._settled: list[tuple[SubLine, ...] | None] = [None] * len(ISO_EXPONENTS)

    def prefix(self, count: int) -> PartPrefix:
        """The first ``count`` parts, as a prefix of a line's parts."""
        return PartPrefix(self, count)

    def settled(self, count: int, exponent: int) -> tuple[SubLine, ...] | None:
        """The finished sub lines of the first ``count`` parts at ``exponent``, or ``None`` when one of
        them is not a whole, non-negative number of minor units (or the exponent is not ISO 4217's)."""
        if exponent not in ISO_EXPONENTS:
            return None
        lines = self._settled[exponent]
        if lines is None:
            lines = _settle(self.parts, exponent)
            self._settled[exponent] = lines  # the same for every caller: a race only builds it twice
        return lines[:count] if count <= len(lines) else None


class PartPrefix(NamedTuple):
    """The first ``size`` parts of ``shared``: what a line's parts start with."""

    shared: SharedParts
    size: int

    @property
    def parts(self) -> tuple[Part, ...]:
        return self.shared.parts[: self.size]

    @property
    def amount(self) -> Decimal:
        return self.shared.totals[self.size]

    def settled(self, exponent: int) -> tuple[SubLine, ...] | None:
        return self.shared.settled(self.size, exponent)


def _settle(parts: tuple[Part, ...], exponent: int) -> tuple[SubLine, ...]:
    """Sub lines for the leading parts that are whole, non-negative numbers of minor units."""
    unit = Decimal(1).scaleb(-exponent, CONTEXT)
    lines = []
    for kind, usage, exact in parts:
        amount = exact.quantize(unit, ROUND_FLOOR, CONTEXT)
        if amount != exact or exact < ZERO:
            break
        lines.append(SubLine(kind, usage, amount, exact))
    return tuple(lines)


class PricedAmount(NamedTuple):
    """A model's result: the exact, unrounded ``amount``, and the parts it is made of: the shared
    ``prefix`` parts, if any, then ``parts`` (their exact amounts sum to ``amount``). ``usage`` is the
    total usage priced. ``cumulative`` asks for the parts to be rounded cumulatively (proration)
    instead of by largest remainder. A named tuple: one is built per line, at half the cost of a
    frozen dataclass."""

    amount: Decimal
    parts: Sequence[Part]
    usage: Decimal | None
    cumulative: bool = False
    prefix: PartPrefix | None = None
