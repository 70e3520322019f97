"""Percentage pricing: a percent ``rate`` of each transaction's amount, plus an optional ``fixed_fee``
per transaction, as Lago's percentage charge model (rate, fixed amount, free units per event and per
total aggregation, per-transaction minimum and maximum).

Semantics, transaction by transaction in the order given (Lago, "Percentage" charge model):

* Free allowances: the first ``free_transactions`` transactions and the first ``free_amount`` of
  transacted amount are free, and the free period ends as soon as either allowance is used up, as
  Lago's docs describe ("the first 3 events or $500 are free": the 4th event pays in full even if the
  $500 is not reached). A free transaction pays neither the rate nor the fixed fee. The transaction
  that exhausts ``free_amount`` pays the rate on its part above it, plus the fixed fee.
* Each charged transaction costs ``amount × rate / 100 + fixed_fee``, then is raised to
  ``min_per_transaction`` or lowered to ``max_per_transaction`` when set (Lago applies both to the rate
  and the fee together).

Sub lines: a ``price_tier_basis_points`` line for the rate (usage = the amount charged at the rate;
the per-transaction minimum and maximum adjustments are included in it and reported as
``perTransactionAdjustment`` in its metadata), and a ``unit_price`` line for the fixed fees (usage =
the number of charged transactions) when there is a fixed fee. The amounts stay exact until the line
is rounded once, so a million small fees are never rounded one by one.

Worked example (Lago docs): 1.2 % + 0.10 per transaction, first 3 transactions or 500 free;
transactions 200, 100, 100, 50 cost 0.10 + 1.2 % × 50 = 0.70.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from billfold.core.money import CONTEXT, ZERO, to_plain_normalized
from billfold.core.pricing import fields
from billfold.core.pricing.errors import PriceValidationError
from billfold.core.pricing.results import OrbType, Part, PricedAmount, SubLineType, make_kind
from billfold.core.pricing.usage import Usage

_HUNDRED = Decimal(100)

NAME = "percentage"
FIELDS = frozenset(
    {"rate", "fixedFee", "freeAmount", "freeTransactions", "minPerTransaction", "maxPerTransaction"}
)


@dataclass(frozen=True, slots=True)
class PercentageParams:
    """``rate`` is a percent (``Decimal("2.5")`` is 2.5 %)."""

    rate: Decimal
    fixed_fee: Decimal = ZERO
    free_amount: Decimal = ZERO
    free_transactions: int = 0
    min_per_transaction: Decimal | None = None
    max_per_transaction: Decimal | None = None
    factor: Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields.non_negative("rate", self.rate)
        fields.non_negative("fixedFee", self.fixed_fee)
        fields.non_negative("freeAmount", self.free_amount)
        fields.count("freeTransactions", self.free_transactions)
        low = fields.optional_non_negative("minPerTransaction", self.min_per_transaction)
        high = fields.optional_non_negative("maxPerTransaction", self.max_per_transaction)
        if low is not None and high is not None and high < low:
            raise PriceValidationError("maxPerTransaction", "must not be below minPerTransaction")
        object.__setattr__(self, "factor", self.rate.scaleb(-2, CONTEXT))


def parse(raw: Mapping[str, object]) -> PercentageParams:
    fields.reject_unknown(raw, FIELDS)
    return PercentageParams(
        rate=fields.required_decimal(raw, "rate"),
        fixed_fee=fields.decimal_field(raw, "fixedFee") or ZERO,
        free_amount=fields.decimal_field(raw, "freeAmount") or ZERO,
        free_transactions=fields.count_field(raw, "freeTransactions") or 0,
        min_per_transaction=fields.decimal_field(raw, "minPerTransaction"),
        max_per_transaction=fields.decimal_field(raw, "maxPerTransaction"),
    )


@dataclass(slots=True)
class _Tally:
    volume: Decimal = ZERO  # all transacted amounts
    charged_volume: Decimal = ZERO  # the amounts charged at the rate
    charged: int = 0  # transactions that pay
    rate_total: Decimal = ZERO
    adjustment: Decimal = ZERO  # per-transaction minimum and maximum, signed


def price(params: PercentageParams, usage: Usage) -> PricedAmount:
    tally = _Tally()
    free_count = params.free_transactions
    free_amount = params.free_amount
    free = free_count > 0 or free_amount > ZERO
    for value in usage.transactions:
        tally.volume = CONTEXT.add(tally.volume, value)
        chargeable = value
        if free:
            free_count -= 1
            if free_amount > ZERO and value > free_amount:
                chargeable = CONTEXT.subtract(value, free_amount)
                free = False
            else:
                free_amount = CONTEXT.subtract(free_amount, value) if free_amount > ZERO else free_amount
                free = _still_free(params, free_count, free_amount)
                continue
        _charge(params, tally, chargeable)
    return _result(params, tally)


def _still_free(params: PercentageParams, free_count: int, free_amount: Decimal) -> bool:
    """The free period lasts while every allowance that is set has room left."""
    count_left = params.free_transactions == 0 or free_count > 0
    amount_left = params.free_amount.is_zero() or free_amount > ZERO
    return count_left and amount_left


def _charge(params: PercentageParams, tally: _Tally, chargeable: Decimal) -> None:
    rate_part = CONTEXT.multiply(chargeable, params.factor)
    tally.rate_total = CONTEXT.add(tally.rate_total, rate_part)
    tally.charged_volume = CONTEXT.add(tally.charged_volume, chargeable)
    tally.charged += 1
    low, high = params.min_per_transaction, params.max_per_transaction
    if low is None and high is None:
        return
    charge = CONTEXT.add(rate_part, params.fixed_fee)
    bounded = charge
    if low is not None and bounded < low:
        bounded = low
    if high is not None and bounded > high:
        bounded = high
    tally.adjustment = CONTEXT.add(tally.adjustment, CONTEXT.subtract(bounded, charge))


def _result(params: PercentageParams, tally: _Tally) -> PricedAmount:
    rate_amount = CONTEXT.add(tally.rate_total, tally.adjustment)
    rate_kind = make_kind(
        SubLineType.PRICE_TIER_BASIS_POINTS,
        f"{to_plain_normalized(params.rate)} % of transactions",
        OrbType.OTHER,
        {
            "from": ZERO,
            "to": None,
            "rate": params.rate,
            "basisPoints": CONTEXT.multiply(params.rate, _HUNDRED),
            "transactions": tally.charged,
            "freeAmount": params.free_amount,
            "freeTransactions": params.free_transactions,
            "minPerTransaction": params.min_per_transaction,
            "maxPerTransaction": params.max_per_transaction,
            "perTransactionAdjustment": tally.adjustment,
        },
    )
    parts: list[Part] = [(rate_kind, tally.charged_volume, rate_amount)]
    total = rate_amount
    if not params.fixed_fee.is_zero():
        fees = CONTEXT.multiply(Decimal(tally.charged), params.fixed_fee)
        fee_kind = make_kind(
            SubLineType.UNIT_PRICE,
            "Fixed fee per transaction",
            OrbType.OTHER,
            {"unitPrice": params.fixed_fee, "transactions": tally.charged},
        )
        parts.append((fee_kind, Decimal(tally.charged), fees))
        total = CONTEXT.add(total, fees)
    return PricedAmount(total, parts, tally.volume)
