"""Where the invoice calculation (:func:`billfold.core.calculate.calculate_invoice`) meets the database.

Reads. A draft invoice is calculated from all its lines every time it is read (the lines are loaded
for the answer anyway): every line, group and invoice figure then comes from one pass of the core, so
they reconcile exactly. An issued (frozen) invoice is read as stored: its figures were written at issue
and never change.

Writes keep the invoice's stored totals (shown in lists, used by payments) equal to what a read
computes, without re-reading every line when they can:

* Fast path — no group- or invoice-level adjustment and no ``tax_gross_up`` line: a line's figures
  depend only on the line (its base and its own adjustments), so a write computes that line alone and
  moves the invoice's running sums by the difference. Taxes rounded per rate (EN 16931) depend only on
  the sum of the lines at each rate, so the invoice keeps those sums (``tax_bases``, per rate and sign)
  and recomputes its tax from them; taxes rounded per line are running sums like the rest. A write
  costs the same on an invoice of ten lines and of ten thousand.
* Full path — an invoice with covering adjustments or a gross-up line: a covering adjustment is
  computed once on the total it covers and split over its lines, so a new line changes other lines'
  shares; such a write recalculates the invoice from all its lines.

A line's tax category is resolved when it is written (line, else group, else product, else the
organization's default) and kept on the line (``tax_key``), so later changes to defaults do not
silently move a draft's taxes between writes and reads.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billfold.core.adjustments import Adjustment, AppliesTo
from billfold.core.amounts import Amounts, base_amounts
from billfold.core.calculate import (
    GroupInput,
    InvoiceInput,
    InvoiceResult,
    LineInput,
    calculate_invoice,
)
from billfold.core.money import Currency, RoundingMode
from billfold.core.split import AllocationStrategy, CalculationError, PaymentAllocation
from billfold.core.taxes import RoundingPolicy, TaxCategory, TaxKey, TaxRounding, WithholdingRate
from billfold.services.context import Actor
from billfold.services.errors import ValidationFailed

GROSS_UP_SCOPE = "tax_gross_up"


def tax_key_text(key: TaxKey | None) -> str | None:
    """A resolved rate as stored on a line: ``category|rate|inclusive``."""
    if key is None:
        return None
    return f"{key.tax_category_id}|{key.rate}|{int(key.inclusive)}"


def parse_tax_key(text: str | None) -> TaxKey | None:
    if not text:
        return None
    category, rate, inclusive = text.split("|")
    return TaxKey(category, Decimal(rate), inclusive == "1")


def adjustment_of(raw: Mapping[str, Any]) -> Adjustment:
    """An adjustment stored as JSON (the API's shape, decimal strings) as the core's object."""
    applies = raw.get("appliesTo") or None
    return Adjustment(
        id=str(raw["id"]),
        kind=raw["type"],
        amount=_decimal(raw.get("amount")),
        percentage=_decimal(raw.get("percentage")),
        usage=_decimal(raw.get("quantity")),
        applies_to=None
        if applies is None
        else AppliesTo(frozenset(applies.get("productIds") or ()), frozenset(applies.get("priceIds") or ())),
        name=str(raw.get("reason") or raw.get("name") or ""),
    )


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def adjustments_of(raw: Sequence[Mapping[str, Any]] | None) -> tuple[Adjustment, ...]:
    if not raw:
        return ()
    return tuple(adjustment_of(item) for item in raw)


@dataclass(frozen=True, slots=True)
class Setting:
    """What the calculation needs besides the lines: currency, rounding, tax categories, country."""

    currency: Currency
    mode: RoundingMode
    tax_rounding: TaxRounding
    categories: Mapping[str, TaxCategory]
    default_tax_category_id: str | None
    country: str | None
    withholding_rates: tuple[WithholdingRate, ...] = ()

    @property
    def policy(self) -> RoundingPolicy:
        return RoundingPolicy(self.mode, self.tax_rounding)


def rounding_policy(actor: Actor) -> RoundingPolicy:
    """The organization's rounding: its mode and its tax rounding (per rate or per line)."""
    return RoundingPolicy(actor.rounding_mode, rounding_of(actor))


def rounding_of(actor: Actor) -> TaxRounding:
    return TaxRounding.PER_LINE if actor.tax_rounding == "line" else TaxRounding.PER_RATE


def withholding_rates_of(
    raw: Sequence[Mapping[str, Any]] | None, exponent: int
) -> tuple[WithholdingRate, ...]:
    rates = []
    for index, item in enumerate(raw or ()):
        mode = RoundingMode[str(item.get("rounding", "half_up")).upper()]
        try:
            rates.append(
                WithholdingRate(
                    str(item.get("name") or f"w{index}"), Decimal(str(item["rate"])), mode, exponent
                )
            )
        except CalculationError as error:
            raise ValidationFailed.field(f"withholdingRates[{index}].{error.field}", error.message) from error
    return tuple(rates)


def resolve_key(setting: Setting, *candidates: str | None) -> TaxKey | None:
    """The rate for the first category among ``candidates`` (line, group, product), else the default."""
    for candidate in (*candidates, setting.default_tax_category_id):
        if candidate is None:
            continue
        category = setting.categories.get(candidate)
        if category is None:
            return None
        try:
            return category.key_for(setting.country)
        except CalculationError as error:
            raise ValidationFailed.field("taxCategoryId", error.message) from error
    return None


@dataclass(frozen=True, slots=True)
class LineState:
    """A line's figures as its last write computed them, and its resolved rate."""

    amounts: Amounts
    tax_key: TaxKey | None


def needs_full_recalculation(
    invoice_adjustments: Sequence[Any] | None, group_adjustments: Sequence[Any], has_gross_up: bool
) -> bool:
    return bool(invoice_adjustments) or any(group_adjustments) or has_gross_up


def line_alone(setting: Setting, line: LineInput, key: TaxKey | None) -> Amounts:
    return line_alone_with_shares(setting, line, key)[0]


def line_alone_with_shares(
    setting: Setting, line: LineInput, key: TaxKey | None
) -> tuple[Amounts, list[dict[str, Any]] | None]:
    """:func:`line_alone` and the line's shares of its own adjustments (as stored on the line)."""
    """A line's figures that depend on it alone: its base, its own adjustments, and (per-line rounding)
    its tax. With per-rate rounding the tax shown here is the line's own rounding and only the invoice
    sums (``tax_bases``) decide the invoice's tax."""
    if key is None and not line.adjustments:
        return base_amounts(line.subtotal), None
    alone = LineInput(
        line.id,
        line.subtotal,
        product_id=line.product_id,
        price_id=line.price_id,
        tax_category_id=None if key is None else key.tax_category_id,
        adjustments=line.adjustments,
        quantity=line.quantity,
        unit_price=line.unit_price,
        reprice=line.reprice,
    )
    categories = {} if key is None else {key.tax_category_id: _single_rate(key)}
    try:
        result = calculate_invoice(
            InvoiceInput(
                exponent=setting.currency.exponent,
                lines=[alone],
                rounding=RoundingPolicy(setting.mode, TaxRounding.PER_LINE),
                tax_categories=categories,
            )
        )
    except CalculationError as error:
        raise ValidationFailed.field(_api_field(error.field), error.message) from error
    line_result = result.lines[0]
    return line_result.amounts, shares_json(line_result.adjustments)


def _single_rate(key: TaxKey) -> TaxCategory:
    from billfold.core.taxes import TaxRate

    return TaxCategory(key.tax_category_id, (TaxRate(key.rate, key.inclusive),))


def _api_field(field: str) -> str:
    """``lines[0].adjustments[1].amount`` (the core's path in a one-line calculation) -> the API's."""
    return field.removeprefix("lines[0].")


def shares_json(shares: Sequence[Any]) -> list[dict[str, Any]] | None:
    """A line's shares of the adjustments that changed it (the core's ``LineAdjustment``s)."""
    if not shares:
        return None
    return [
        {"id": s.adjustment_id, "type": str(s.kind), "name": s.name, "amount": str(s.amount)} for s in shares
    ]


def bucket_name(key: TaxKey | None, adjusted: Decimal) -> str | None:
    text = tax_key_text(key)
    if text is None:
        return None
    return f"{text}|{'-' if adjusted < 0 else '+'}"


def move_tax_bases(
    bases: dict[str, str] | None, old: LineState | None, new: LineState | None
) -> dict[str, str]:
    """The invoice's per-rate sums after one line went from ``old`` to ``new`` (either may be absent)."""
    result = dict(bases or {})
    for state, sign in ((old, -1), (new, 1)):
        if state is None:
            continue
        adjusted = state.amounts.subtotal + state.amounts.adjustment
        name = bucket_name(state.tax_key, adjusted)
        if name is None or not adjusted:
            continue
        value = Decimal(result.get(name, "0")) + sign * adjusted
        if value:
            result[name] = str(value)
        else:
            result.pop(name, None)
    return result


def totals_from_bases(setting: Setting, running: Amounts, bases: Mapping[str, str]) -> Amounts:
    """The invoice's amounts on the fast path: subtotal, discount and adjustment are running sums;
    net, tax and total come from the per-rate sums (per-rate rounding) or are running sums too
    (per-line rounding)."""
    if setting.tax_rounding is TaxRounding.PER_LINE:
        return running
    lines = []
    categories: dict[str, TaxCategory] = {}
    untaxed = running.subtotal + running.adjustment
    for index, (name, value) in enumerate(sorted(bases.items())):
        category, rate, inclusive, _ = name.split("|")
        key = TaxKey(category, Decimal(rate), inclusive == "1")
        pseudo = f"{category}|{rate}|{inclusive}"
        categories[pseudo] = _single_rate(TaxKey(pseudo, key.rate, key.inclusive))
        lines.append(LineInput(f"b{index}", Decimal(value), tax_category_id=pseudo))
        untaxed -= Decimal(value)
    if untaxed:
        lines.append(LineInput("untaxed", untaxed))
    if not lines:
        return running
    result = calculate_invoice(
        InvoiceInput(
            exponent=setting.currency.exponent,
            lines=lines,
            rounding=setting.policy,
            tax_categories=categories,
        )
    ).amounts
    return Amounts(
        subtotal=running.subtotal,
        discount=running.discount,
        adjustment=running.adjustment,
        net=result.net,
        tax=result.tax,
        total=result.total,
    )


def calculate(
    setting: Setting,
    lines: Sequence[LineInput],
    groups: Sequence[GroupInput],
    adjustments: tuple[Adjustment, ...],
    *,
    invoice_id: uuid.UUID,
    credits_applied: Decimal | None = None,
    credit_grants: Sequence[Any] = (),
    credit_uses: Sequence[Any] = (),
    credits_as_of: Any = None,
    allocations: Sequence[Mapping[str, Any]] | None = None,
) -> InvoiceResult:
    """The whole invoice through the core; input errors become 400s naming the field."""
    try:
        return calculate_invoice(
            InvoiceInput(
                exponent=setting.currency.exponent,
                lines=lines,
                groups=groups,
                adjustments=adjustments,
                rounding=setting.policy,
                tax_categories=setting.categories,
                default_tax_category_id=None,
                customer_country=setting.country,
                withholding_rates=setting.withholding_rates,
                credits_applied=credits_applied,
                credit_grants=credit_grants,
                credit_uses=credit_uses,
                credits_as_of=credits_as_of,
                invoice_id=str(invoice_id),
                allocation_strategy=AllocationStrategy.PERCENT_SPLIT
                if allocations
                else AllocationStrategy.SINGLE,
                allocations=tuple(
                    PaymentAllocation(str(item["paymentAccountId"]), Decimal(str(item["percentage"])))
                    for item in allocations or ()
                ),
            )
        )
    except CalculationError as error:
        raise ValidationFailed.field(error.field, error.message) from error
