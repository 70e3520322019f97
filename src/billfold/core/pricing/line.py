"""Pricing a line: the one function every caller uses.

:func:`price_line` takes a :class:`Price` (a model's parameters plus the options every price has:
free units, a minimum, the billing model) and the usage, and

1. takes the price's free units off the usage (first, as Lago's free units and Orb's usage discount);
2. prices the rest with the model (exactly), or, for billing model ``proration``, prorates it;
3. tops the amount up to the price's minimum with a ``minimum_amount`` sub line;
4. rounds the amount once to the currency's exponent with the mode given;
5. splits that rounded amount over the sub lines by largest remainder (cumulatively for proration),
   so the sub lines always sum exactly to the line amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple, TypeVar

from billfold.core.money import CONTEXT, ZERO, RoundingMode, quantize
from billfold.core.pricing import fields as field_checks
from billfold.core.pricing.allocation import MAX_EXPONENT, cumulative_shares, shares
from billfold.core.pricing.errors import PriceValidationError, UsageError
from billfold.core.pricing.fixed import FixedParams
from billfold.core.pricing.proration import BillingInterval, IntervalUnit, prorate
from billfold.core.pricing.registry import PriceModel, PriceParams, UsageKind, model_of, parse
from billfold.core.pricing.results import (
    LineResult,
    OrbType,
    Part,
    PricedAmount,
    SubLine,
    SubLineType,
    make_kind,
)
from billfold.core.pricing.unit import UnitParams
from billfold.core.pricing.usage import DimensionUsage, ServicePeriod, Usage

PRICE_FIELDS = frozenset(
    {"freeUnits", "minimumAmount", "billingModel", "billingInterval", "billingIntervalCount"}
)


MONTHLY = BillingInterval(IntervalUnit.MONTH)
_new_tuple = tuple.__new__
_QUANTITY = UsageKind.QUANTITY


class BillingModel(StrEnum):
    """``in_full``: the whole price; ``proration``: the share of the billing interval the service
    dates cover (fixed and unit prices only)."""

    IN_FULL = "in_full"
    PRORATION = "proration"


@dataclass(frozen=True, slots=True)
class Price:
    """A price: a model's parameters plus the options every price has. Validated on construction.

    ``free_units`` come off the usage before the model prices it (not for the transaction models, which
    have ``freeAmount`` and ``freeTransactions``; for a matrix, off the combinations in usage order;
    for prorated seats, off each interval's seat count). ``minimum_amount`` tops the line up with a
    ``minimum_amount`` sub line (Orb's price minimum); it is not prorated. ``billing_interval`` is
    used by billing model ``proration`` only.
    """

    params: PriceParams
    free_units: Decimal | None = None
    minimum_amount: Decimal | None = None
    billing_model: BillingModel = BillingModel.IN_FULL
    billing_interval: BillingInterval = MONTHLY
    model: PriceModel[Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        model = model_of(self.params)
        object.__setattr__(self, "model", model)
        field_checks.optional_non_negative("freeUnits", self.free_units)
        field_checks.optional_non_negative("minimumAmount", self.minimum_amount)
        if self.free_units is not None and model.usage_kind is UsageKind.TRANSACTIONS:
            raise PriceValidationError(
                "freeUnits", f"the {model.name} model takes freeAmount or freeTransactions instead"
            )
        if not isinstance(self.billing_model, BillingModel):
            raise PriceValidationError("billingModel", "must be one of: in_full, proration")
        if self.billing_model is BillingModel.PRORATION and not isinstance(
            self.params, (FixedParams, UnitParams)
        ):
            raise PriceValidationError("billingModel", "proration applies to fixed and unit prices only")


def parse_price(model: str, raw: Mapping[str, object]) -> Price:
    """A :class:`Price` from camelCase API fields: the model's own fields (see
    :func:`~billfold.core.pricing.registry.parse`) plus ``freeUnits``, ``minimumAmount``,
    ``billingModel`` (``in_full`` | ``proration``), ``billingInterval`` (``month`` | ``quarter`` |
    ``year`` | ``day``) and ``billingIntervalCount`` (days, for ``day``)."""
    params = parse(model, {key: value for key, value in raw.items() if key not in PRICE_FIELDS})
    billing_model = _choice(BillingModel, raw, "billingModel", BillingModel.IN_FULL)
    interval_unit, interval_count = _interval(raw)
    return Price(
        params,
        free_units=field_checks.decimal_field(raw, "freeUnits"),
        minimum_amount=field_checks.decimal_field(raw, "minimumAmount"),
        billing_model=billing_model,
        billing_interval=BillingInterval(interval_unit, 1 if interval_count is None else interval_count),
    )


def _interval(raw: Mapping[str, object]) -> tuple[IntervalUnit, int | None]:
    """``billingInterval``: ``month``, ``quarter``, ``year``, ``day`` (with ``billingIntervalCount``),
    or a number of days given directly (``"45"`` or ``45``)."""
    value = raw.get("billingInterval")
    days = None
    if isinstance(value, int) and not isinstance(value, bool):
        days = value
    elif isinstance(value, str) and value.isdigit():
        days = int(value)
    if days is None:
        return (
            _choice(IntervalUnit, raw, "billingInterval", IntervalUnit.MONTH),
            field_checks.count_field(raw, "billingIntervalCount"),
        )
    if raw.get("billingIntervalCount") is not None:
        raise PriceValidationError(
            "billingIntervalCount", "give the days in billingInterval or here, not both"
        )
    if not 1 <= days <= 3660:
        raise PriceValidationError("billingInterval", "a number of days must be between 1 and 3660")
    return IntervalUnit.DAY, days


E = TypeVar("E", bound=StrEnum)


def _choice(choices: type[E], raw: Mapping[str, object], name: str, default: E) -> E:
    text = field_checks.text_field(raw, name)
    if text is None:
        return default
    try:
        return choices(text)
    except ValueError:
        raise PriceValidationError(name, f"must be one of: {', '.join(choices)}") from None


class Evaluated(NamedTuple):
    """A line's usage priced exactly by its model (:func:`evaluate`): what is left to do is the
    minimum, the one rounding and the split, which need the currency and the rounding mode."""

    priced: PricedAmount
    free: Decimal


def evaluate(price: Price, usage: Usage, service: ServicePeriod | None = None) -> Evaluated:
    """Steps 1 and 2 of :func:`price_line`: free units and the model, exactly. The costly part of a
    large usage (100,000 transactions), and independent of the currency and rounding mode, so a
    caller may do it before it opens a transaction. ``service`` is needed only for proration."""
    if usage.transactions or usage.dimensions or usage.seats or price.model.usage_kind is not _QUANTITY:
        _check_usage(price, usage)
    if price.billing_model is BillingModel.PRORATION:
        priced, free = _prorated(price, usage, service)
    elif price.free_units is None:
        priced, free = price.model.price(price.params, usage), ZERO
    else:
        billable, free = _take_free_units(price.model, usage, price.free_units)
        priced = price.model.price(price.params, billable)
    return Evaluated(priced, free)


def price_line(
    price: Price,
    usage: Usage,
    exponent: int,
    mode: RoundingMode,
    service: ServicePeriod | None = None,
    evaluated: Evaluated | None = None,
) -> LineResult:
    """Price one line: free units, model, minimum, one rounding to ``exponent`` places with ``mode``,
    and the rounded amount split over the sub lines. ``service`` (the line's dates) is needed only
    for billing model ``proration``. ``evaluated``: :func:`evaluate` of this price and usage, done
    already."""
    if not 0 <= exponent <= MAX_EXPONENT:
        raise ValueError(f"currency exponent must be between 0 and {MAX_EXPONENT}, not {exponent}")
    priced, free = evaluate(price, usage, service) if evaluated is None else evaluated
    return _finish(price, priced, free, exponent, mode)


def _finish(
    price: Price, priced: PricedAmount, free: Decimal, exponent: int, mode: RoundingMode
) -> LineResult:
    exact = priced.amount
    parts = priced.parts
    settled, settled_amount = _settled_prefix(priced, exponent)
    if settled is None and priced.prefix is not None:
        parts = [*priced.prefix.parts, *parts]
    topped_up = ZERO
    minimum = price.minimum_amount
    if minimum is not None and exact < minimum:
        topped_up = CONTEXT.subtract(minimum, exact)
        parts = [*parts, _minimum_part(minimum, topped_up)]
        exact = minimum
    amount = quantize(exact, exponent, mode)
    exacts = [part[2] for part in parts]
    if priced.cumulative:
        amounts = cumulative_shares(exacts, exponent, mode)
    else:
        amounts = shares(CONTEXT.subtract(amount, settled_amount), exacts, exponent)
    # tuple.__new__ skips the named tuple's Python-level __new__: a third less per sub line.
    sub_lines = tuple(
        [
            _new_tuple(SubLine, (kind, used, share, part_exact))
            for (kind, used, part_exact), share in zip(parts, amounts, strict=True)
        ]
    )
    if settled:
        sub_lines = settled + sub_lines
    total_usage = None if priced.usage is None else CONTEXT.add(priced.usage, free)
    return LineResult(amount, exact, sub_lines, total_usage, free, topped_up)


def _settled_prefix(priced: PricedAmount, exponent: int) -> tuple[tuple[SubLine, ...] | None, Decimal]:
    """The prefix's finished sub lines at ``exponent`` and their amount, when it has them."""
    prefix = priced.prefix
    if prefix is None or priced.cumulative:
        return None, ZERO
    settled = prefix.settled(exponent)
    return (None, ZERO) if settled is None else (settled, prefix.amount)


def _minimum_part(minimum: Decimal, applied: Decimal) -> Part:
    kind = make_kind(
        SubLineType.MINIMUM_AMOUNT,
        "Minimum amount",
        OrbType.OTHER,
        {"minimumAmount": minimum, "minimumAmountApplied": applied},
    )
    return kind, None, applied


def _check_usage(price: Price, usage: Usage) -> None:
    """The usage gives what the model reads, and nothing another model would."""
    kind = price.model.usage_kind
    name = price.model.name
    if usage.transactions and kind is not UsageKind.TRANSACTIONS:
        raise UsageError("transactions", f"the {name} model does not take transactions")
    if usage.dimensions and kind is not UsageKind.DIMENSIONS:
        raise UsageError("usage", f"the {name} model does not take usage by dimension")
    if usage.quantity is not None and kind is not UsageKind.QUANTITY:
        raise UsageError("quantity", f"the {name} model does not take a quantity")
    if usage.seats and price.billing_model is not BillingModel.PRORATION:
        raise UsageError("seats", "seat intervals apply to prices with billing model proration")


def _take_free_units(model: PriceModel[Any], usage: Usage, free: Decimal) -> tuple[Usage, Decimal]:
    """Usage after the price's free units, and how many were taken (never more than was used)."""
    if model.usage_kind is UsageKind.DIMENSIONS:
        return _take_free_units_by_dimension(usage, free)
    quantity = model.default_quantity if usage.quantity is None else usage.quantity
    taken = free if free < quantity else quantity
    return Usage(quantity=CONTEXT.subtract(quantity, taken)), taken


def _take_free_units_by_dimension(usage: Usage, free: Decimal) -> tuple[Usage, Decimal]:
    """Free units come off the combinations in the order the usage lists them."""
    left = free
    entries = []
    for entry in usage.dimensions:
        taken = left if left < entry.quantity else entry.quantity
        left = CONTEXT.subtract(left, taken)
        entries.append(DimensionUsage(entry.values, CONTEXT.subtract(entry.quantity, taken)))
    return Usage(dimensions=tuple(entries)), CONTEXT.subtract(free, left)


def _prorated(price: Price, usage: Usage, service: ServicePeriod | None) -> tuple[PricedAmount, Decimal]:
    params = price.params
    if not isinstance(params, (FixedParams, UnitParams)):  # refused when the price was built
        raise PriceValidationError("billingModel", "proration applies to fixed and unit prices only")
    if service is None:
        raise UsageError("startDate", "a prorated price needs the line's service dates")
    priced = prorate(
        params.prorated_unit_amount,
        usage,
        service,
        price.billing_interval,
        price.model.default_quantity,
        price.free_units,
    )
    return priced, _free_seats(price.free_units, usage, price.model.default_quantity)


def _free_seats(free: Decimal | None, usage: Usage, default: Decimal) -> Decimal:
    if free is None:
        return ZERO
    quantity = default if usage.quantity is None else usage.quantity
    most = max((seat.quantity for seat in usage.seats), default=quantity)
    return free if free < most else most
