"""Taxes: categories and rates, the tax of each rate and its split over lines, and withholding gross-up.

Categories. A :class:`TaxCategory` (VAT standard, reduced, exempt...) holds rates: one per country
(the customer's, ISO 3166 alpha-2) and/or a default for every other country. Each rate is a percent
(``"20"``) and may be *inclusive* (prices at that rate are gross). A line's category is the line's,
else its group's, else its product's, else the organization's default (:func:`resolve_tax_category_id`);
a line with none is not taxed and appears in no summary row.

Tax of a rate (:attr:`TaxRounding.PER_RATE`, the default). EN 16931 computes VAT per rate, not per
line: the VAT category tax amount (BT-117) is the category's taxable amount (BT-116) times its rate
(BT-119), rounded (rules BR-S-09 / BR-CO-17), and the invoice's VAT total (BT-110) is the sum of those
(BR-CO-14). So each rate's tax is ``round(Σ net × rate / 100)``, rounded once with the organization's
mode, and then split back over the rate's lines by largest remainder on their net amounts, so the
lines' taxes sum exactly to the rate's. Three lines of 0.03 at 20 % owe round(0.018) = 0.02 of VAT.
Japan's qualified invoices round the same way: once per rate per invoice (Consumption Tax Act
Enforcement Order, art. 70-10).

Per line (:attr:`TaxRounding.PER_LINE`, an organization's option): each line's tax is
``round(net × rate / 100)`` and a rate's tax is the sum (three lines of 0.03 at 20 %: 0.03).

Inclusive rates. The line amount is gross: a rate's tax is ``round(Σ gross × rate / (100 + rate))``
(the "VAT fraction", 1/6 at 20 %: HMRC VAT Notice 700), split over the lines on their gross amounts;
each line's net is gross − tax and its total stays the gross. 100.00 at 20 %: tax 16.67, net 83.33.

Credit lines. When a rate has lines of both signs, its tax is split in two steps so that no credit
line is charged tax: the positive lines share ``round(Σ positive × factor)``, and the negative lines
share the rest (which is never positive). Each step is a largest-remainder split.

Withholding gross-up (Brazilian service invoices: IRRF 1.5 %, RIR/2018 art. 714; PIS, COFINS and CSLL
4.65 %, Law 10.833/2003 art. 30-31): the customer withholds each rate of the invoice total, each
rounded as its authority rounds it (its own mode and precision). :func:`gross_up` finds the smallest
gross G with ``G − Σ round_i(G × w_i / 100) = N``, the net the seller means to receive, to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from billfold.core.money import CONTEXT, RoundingMode, add, allocate_units, quantize
from billfold.core.split import HUNDRED, CalculationError, from_units, to_units

MAX_RATE = Decimal(1000)


class TaxRounding(StrEnum):
    """``per_rate``: one rounding per rate per invoice (EN 16931); ``per_line``: one per line."""

    PER_RATE = "per_rate"
    PER_LINE = "per_line"


@dataclass(frozen=True, slots=True)
class RoundingPolicy:
    """An organization's rounding: the mode (half-up by default, or half-even) for every amount it
    rounds, and how taxes are rounded (per rate, EN 16931, by default; or per line)."""

    mode: RoundingMode = RoundingMode.HALF_UP
    tax: TaxRounding = TaxRounding.PER_RATE

    def __post_init__(self) -> None:
        if not isinstance(self.mode, RoundingMode):
            raise CalculationError("roundingMode", "must be a rounding mode")
        try:
            object.__setattr__(self, "tax", TaxRounding(self.tax))  # a plain string becomes the member
        except ValueError:
            raise CalculationError("taxRounding", "must be per_rate or per_line") from None


@dataclass(frozen=True, slots=True)
class TaxRate:
    """A rate of a category: ``rate`` in percent, ``inclusive`` when prices at it are gross, and
    ``country`` (ISO 3166 alpha-2) when it applies to customers of that country only."""

    rate: Decimal
    inclusive: bool = False
    country: str | None = None

    def __post_init__(self) -> None:
        check_percent("rate", self.rate, maximum=MAX_RATE)
        if self.country is not None:
            object.__setattr__(self, "country", self.country.upper())


@dataclass(frozen=True, slots=True)
class TaxKey:
    """A resolved rate, and the key of a tax summary row: category, percent and inclusiveness."""

    tax_category_id: str
    rate: Decimal
    inclusive: bool


@dataclass(frozen=True, slots=True)
class TaxCategory:
    """A tax category with its rates: at most one per country and at most one default (no country)."""

    id: str
    rates: tuple[TaxRate, ...]
    name: str = ""

    def __post_init__(self) -> None:
        seen: set[str | None] = set()
        for index, rate in enumerate(self.rates):
            if rate.country in seen:
                raise CalculationError(f"rates[{index}].country", "has two rates")
            seen.add(rate.country)

    def key_for(self, country: str | None) -> TaxKey:
        """The rate for a customer in ``country``: that country's, else the default."""
        fallback = None
        for rate in self.rates:
            if rate.country is None:
                fallback = rate
            elif country is not None and rate.country == country.upper():
                return TaxKey(self.id, rate.rate, rate.inclusive)
        if fallback is None:
            raise CalculationError("taxCategoryId", f"tax category {self.id} has no rate for {country}")
        return TaxKey(self.id, fallback.rate, fallback.inclusive)


@dataclass(frozen=True, slots=True)
class TaxAmount:
    """Tax at one rate on a line or a group (Orb's ``tax_amounts[]``)."""

    tax_category_id: str
    rate: Decimal
    inclusive: bool
    amount: Decimal


@dataclass(frozen=True, slots=True)
class TaxSummaryRow:
    """One row of the invoice's ``taxSummary`` (EN 16931's VAT breakdown, BG-23): the net taxable
    amount at the rate (BT-116; gross − tax for an inclusive rate) and the tax (BT-117)."""

    tax_category_id: str
    rate: Decimal
    inclusive: bool
    taxable_amount: Decimal
    tax_amount: Decimal


def check_percent(field: str, value: Decimal, *, maximum: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= maximum:
        raise CalculationError(field, f"must be a percent between 0 and {maximum}")


def resolve_tax_category_id(
    line: str | None, group: str | None, product: str | None, default: str | None
) -> str | None:
    """The line's tax category: the line's own, else its group's, else its product's, else the
    organization's default (``None``: not taxed)."""
    for candidate in (line, group, product, default):
        if candidate is not None:
            return candidate
    return None


@dataclass(slots=True)
class TaxResolver:
    """The rates of one invoice's lines: each category at the customer's ``country``, looked up once
    (``resolved`` holds those found). An unknown category, or one without a rate for the country,
    raises on field ``taxCategoryId``."""

    categories: Mapping[str, TaxCategory]
    country: str | None = None
    resolved: dict[str, TaxKey] = field(default_factory=dict)

    def key(self, category_id: str | None) -> TaxKey | None:
        """The rate of a line in ``category_id`` (``None``: untaxed)."""
        if category_id is None:
            return None
        key = self.resolved.get(category_id)
        if key is None:
            category = self.categories.get(category_id)
            if category is None:
                raise CalculationError("taxCategoryId", f"unknown tax category {category_id}")
            key = self.resolved[category_id] = category.key_for(self.country)
        return key


def tax_by_key(
    keys: Sequence[TaxKey | None], taxes: Sequence[int], indices: Sequence[int]
) -> dict[TaxKey, int]:
    """The taxes (minor units) of the lines at ``indices``, summed per rate in order of first use."""
    by_identity: dict[int, tuple[TaxKey, int]] = {}  # see group_by_key
    for index in indices:
        key = keys[index]
        if key is not None:
            entry = by_identity.get(id(key))
            by_identity[id(key)] = (key, taxes[index] if entry is None else entry[1] + taxes[index])
    merged: dict[TaxKey, int] = {}
    for key, tax in by_identity.values():
        merged[key] = merged.get(key, 0) + tax
    return merged


def rate_tax_units(amount: int, key: TaxKey, mode: RoundingMode) -> int:
    """The tax in minor units on ``amount`` minor units at ``key``'s rate, rounded once: ``amount ×
    r / 100`` for an exclusive rate, ``amount × r / (100 + r)`` for an inclusive (gross) one. Rounding
    a value in minor units to exponent 0 is rounding the money to the currency's exponent."""
    divisor = CONTEXT.add(HUNDRED, key.rate) if key.inclusive else HUNDRED
    exact = CONTEXT.divide(CONTEXT.multiply(Decimal(amount), key.rate), divisor)
    return int(quantize(exact, 0, mode))


def split_tax_units(amounts: Sequence[int], key: TaxKey, mode: RoundingMode) -> list[int]:
    """The rate's tax, ``round(Σ amounts × factor)``, split over the lines by largest remainder on
    their amounts (credit lines in a second step, see the module docstring)."""
    total = rate_tax_units(sum(amounts), key, mode)
    if all(amount >= 0 for amount in amounts) or all(amount <= 0 for amount in amounts):
        return allocate_units(total, amounts)
    positives = [amount if amount > 0 else 0 for amount in amounts]
    negatives = [amount if amount < 0 else 0 for amount in amounts]
    positive_tax = rate_tax_units(sum(positives), key, mode)
    first = allocate_units(positive_tax, positives)
    second = allocate_units(total - positive_tax, negatives)
    return [a + b for a, b in zip(first, second, strict=True)]


def group_by_key(keys: Sequence[TaxKey | None]) -> dict[TaxKey, list[int]]:
    """The indices of the lines at each rate, rates in order of first use (``None``: untaxed). Grouped
    by object identity first (a resolver hands out one key object per rate, and hashing a key per line
    is the slow part), then equal keys merged."""
    by_identity: dict[int, tuple[TaxKey, list[int]]] = {}
    for index, key in enumerate(keys):
        if key is not None:
            entry = by_identity.get(id(key))
            if entry is None:
                by_identity[id(key)] = (key, [index])
            else:
                entry[1].append(index)
    groups: dict[TaxKey, list[int]] = {}
    for key, indices in by_identity.values():
        members = groups.get(key)
        if members is None:
            groups[key] = indices
        else:
            groups[key] = sorted(members + indices)
    return groups


def tax_units(
    amounts: Sequence[int], keys: Sequence[TaxKey | None], *, mode: RoundingMode, rounding: TaxRounding
) -> tuple[list[int], dict[TaxKey, tuple[int, int]]]:
    """Each line's tax in minor units and, per rate in order of first use, (taxable, tax) in minor
    units. ``amounts`` are the lines' net amounts (gross for inclusive rates)."""
    groups = group_by_key(keys)
    taxes = [0] * len(amounts)
    summary: dict[TaxKey, tuple[int, int]] = {}
    for key, members in groups.items():
        values = [amounts[i] for i in members]
        if rounding == TaxRounding.PER_LINE:
            shares = [rate_tax_units(value, key, mode) for value in values]
        else:
            shares = split_tax_units(values, key, mode)
        for index, share in zip(members, shares, strict=True):
            taxes[index] = share
        tax = sum(shares)
        taxable = sum(values) - tax if key.inclusive else sum(values)
        summary[key] = (taxable, tax)
    return taxes, summary


def compute_taxes(
    amounts: Sequence[Decimal],
    keys: Sequence[TaxKey | None],
    *,
    exponent: int,
    mode: RoundingMode,
    rounding: TaxRounding = TaxRounding.PER_RATE,
) -> tuple[tuple[Decimal, ...], tuple[TaxSummaryRow, ...]]:
    """Each line's tax and the tax summary, for lines with rounded net (gross, for an inclusive rate)
    ``amounts`` at rates ``keys`` (``None``: untaxed)."""
    units = [to_units(amount, exponent, f"amounts[{i}]") for i, amount in enumerate(amounts)]
    taxes, summary = tax_units(units, keys, mode=mode, rounding=rounding)
    return tuple(from_units(tax, exponent) for tax in taxes), summary_rows(summary, exponent)


def summary_rows(summary: dict[TaxKey, tuple[int, int]], exponent: int) -> tuple[TaxSummaryRow, ...]:
    return tuple(
        TaxSummaryRow(
            key.tax_category_id,
            key.rate,
            key.inclusive,
            from_units(taxable, exponent),
            from_units(tax, exponent),
        )
        for key, (taxable, tax) in summary.items()
    )


@dataclass(frozen=True, slots=True)
class WithholdingRate:
    """A rate the customer withholds from the invoice total (a percent), rounded as its authority
    rounds it: with ``mode``, to ``exponent`` decimal places (the currency's when ``None``; never finer)."""

    id: str
    rate: Decimal
    mode: RoundingMode = RoundingMode.HALF_UP
    exponent: int | None = None

    def __post_init__(self) -> None:
        check_percent("rate", self.rate, maximum=HUNDRED)


@dataclass(frozen=True, slots=True)
class Withholding:
    """An amount withheld at one rate."""

    id: str
    rate: Decimal
    amount: Decimal


def withheld_units(base: int, rate: WithholdingRate, exponent: int) -> int:
    """``round(base × rate / 100)`` in minor units, with the authority's mode and precision."""
    places = exponent if rate.exponent is None else rate.exponent
    if places > exponent:
        raise CalculationError("withholdingRates.exponent", "cannot be finer than the currency's")
    exact = CONTEXT.divide(CONTEXT.multiply(Decimal(base), rate.rate), HUNDRED)
    return int(quantize(exact, places - exponent, rate.mode))


def withhold(base: Decimal, rates: Sequence[WithholdingRate], *, exponent: int) -> tuple[Withholding, ...]:
    """What each rate withholds from ``base`` (the invoice total)."""
    units = to_units(base, exponent, "totalAmount")
    return tuple(
        Withholding(r.id, r.rate, from_units(withheld_units(units, r, exponent), exponent)) for r in rates
    )


def gross_up_units(net: int, rates: Sequence[WithholdingRate], exponent: int) -> int:
    """The smallest gross G (minor units) with ``f(G) = G − Σ withheld_i(G) = net``.

    An exact G always exists for ``net > 0`` when the rates sum to less than 100 %. Proof: f(0) = 0,
    f grows without bound, and one more minor unit of G raises f by at most one minor unit (each
    withholding is monotone in G and never falls), so the first G with f(G) ≥ net has f(G) = net
    exactly, and it is the smallest. Rates summing to 100 % or more leave nothing to receive: an error.
    A net of zero or less (a credit) is not grossed up. The search starts below every solution: each
    rounding moves a withholding by less than its quantum q_i, so f(G) < G (1 − W) + Σ q_i, which is
    below ``net`` while G ≤ (net − Σ q_i) / (1 − W); and f(G) ≤ G < net while G < net.
    """
    total_rate = add(*(rate.rate for rate in rates))
    if total_rate >= HUNDRED:
        raise CalculationError("withholdingRates", "rates must sum to less than 100")
    if net <= 0 or not rates:
        return net
    slack = sum(10 ** (exponent - (exponent if r.exponent is None else r.exponent)) for r in rates)
    bound = CONTEXT.divide(
        CONTEXT.multiply(Decimal(net - slack), HUNDRED), CONTEXT.subtract(HUNDRED, total_rate)
    )
    gross = max(net, int(quantize(bound, 0, RoundingMode.DOWN)))
    while gross - sum(withheld_units(gross, rate, exponent) for rate in rates) < net:
        gross += 1
    return gross


def gross_up(net: Decimal, rates: Sequence[WithholdingRate], *, exponent: int) -> Decimal:
    """The smallest invoice total from which the customer, after withholding each rate, pays ``net``
    exactly (see :func:`gross_up_units`)."""
    return from_units(gross_up_units(to_units(net, exponent, "net"), rates, exponent), exponent)
