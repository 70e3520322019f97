"""Where the invoice calculation (:func:`billfold.core.calculate.calculate_invoice`) meets the database.

Reads. A draft invoice is calculated from all its lines every time it is read (the lines are loaded
for the answer anyway): every line, group and invoice figure then comes from one pass of the core, so
they reconcile exactly. An issued (frozen) invoice is read as stored: its figures were written at issue
and never change.

Writes keep the invoice's stored totals (shown in lists, used by payments) equal to what a read
computes, without re-reading every line when they can:

* Running sums — the usual case: the invoice keeps sums per *cell* (``running_sums``; the lines
  that the same group- and invoice-level adjustments cover at the same rate, see
  :mod:`billfold.core.running`), each line counted with its figures computed alone (its base and its
  own adjustments). A write computes the changed line alone, moves its cell's sums, and works out the
  invoice's totals from the cells: covering adjustments (discounts, minimums, maximums) on the sums
  they cover, tax per rate on the net at each rate (EN 16931), or the lines' own taxes when tax is
  rounded per line. The core splits covering adjustments over cells first, then within each cell, so
  these totals equal a full calculation's exactly. A write costs the same on an invoice of ten lines
  and of ten thousand.
* Full path — what the sums cannot carry (a ``tax_gross_up`` line, a covering usage discount or
  allocation offset, per-line tax rounding with a covering adjustment, a minimum topping up lines none
  of which is positive: :class:`~billfold.core.running.NotSummable`): the write recalculates the
  invoice from all its lines (``recalculate_all``), and rebuilds the sums so a later write may take
  the running path again.

A group keeps the running sums of its lines' own figures. Its shares of covering adjustments and of
per-rate taxes depend on how those split over every line of the invoice, so they are not stored on a
draft: every read that shows a group calculates it (and so does the issue, which stores them for good).

A line's tax category is resolved when it is written (line, else group, else product, else the
organization's default) and kept on the line (``tax_key_*`` columns), so later changes to defaults do not
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


def tax_key_columns(key: TaxKey | None) -> dict[str, Any]:
    """A resolved rate as stored on a line: three typed columns (all ``None``: untaxed)."""
    if key is None:
        return {"tax_key_category_id": None, "tax_key_rate": None, "tax_key_inclusive": None}
    return {
        "tax_key_category_id": uuid.UUID(key.tax_category_id),
        "tax_key_rate": key.rate,
        "tax_key_inclusive": key.inclusive,
    }


def line_tax_key(row: Any) -> TaxKey | None:
    """A stored line's resolved rate (ORM object or plain row); ``None`` when untaxed."""
    category = row.tax_key_category_id
    if category is None:
        return None
    return TaxKey(str(category), row.tax_key_rate, bool(row.tax_key_inclusive))


def adjustment_of(raw: Mapping[str, Any]) -> Adjustment:
    """An adjustment stored as JSON (neutral: snake_case, decimal strings) as the core's object."""
    applies = raw.get("applies_to") or None
    return Adjustment(
        id=str(raw["id"]),
        kind=raw["type"],
        amount=_decimal(raw.get("amount")),
        percentage=_decimal(raw.get("percentage")),
        usage=_decimal(raw.get("quantity")),
        applies_to=None
        if applies is None
        else AppliesTo(
            frozenset(applies.get("product_ids") or ()), frozenset(applies.get("price_ids") or ())
        ),
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
    """A line's figures as its last write computed them (the line alone), its resolved rate, and the
    product and price that decide which covering adjustments cover it."""

    amounts: Amounts
    tax_key: TaxKey | None
    product_id: str | None = None
    price_id: str | None = None


def line_alone(setting: Setting, line: LineInput, key: TaxKey | None) -> Amounts:
    return line_alone_with_shares(setting, line, key)[0]


def line_alone_with_shares(
    setting: Setting, line: LineInput, key: TaxKey | None
) -> tuple[Amounts, list[dict[str, Any]] | None]:
    """:func:`line_alone` and the line's shares of its own adjustments (as stored on the line)."""
    """A line's figures that depend on it alone: its base, its own adjustments, and (per-line rounding)
    its tax. With per-rate rounding the tax shown here is the line's own rounding and only the invoice's
    running sums decide the invoice's tax."""
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
                    PaymentAllocation(str(item["payment_account_id"]), Decimal(str(item["percentage"])))
                    for item in allocations or ()
                ),
            )
        )
    except CalculationError as error:
        raise ValidationFailed.field(error.field, error.message) from error


def calculation_json(result: InvoiceResult) -> dict[str, Any]:
    """The invoice-level results of a calculation, as stored at issue (neutral: snake_case, decimal
    strings); the API and the dialects shape them."""
    return {
        "tax_summary": [
            {
                "tax_category_id": row.tax_category_id,
                "rate": str(row.rate),
                "inclusive": row.inclusive,
                "taxable_amount": str(row.taxable_amount),
                "tax_amount": str(row.tax_amount),
            }
            for row in result.tax_summary
        ],
        "adjustments": [
            {
                "id": a.adjustment_id,
                "type": str(a.kind),
                "name": a.name,
                "scope": str(a.scope),
                "scope_id": a.scope_id,
                "amount": str(a.amount),
                "unapplied_amount": str(a.unapplied_amount),
                "unapplied_quantity": None if a.unapplied_usage is None else str(a.unapplied_usage),
            }
            for a in result.adjustments
        ],
        "shares": [
            {
                "payment_account_id": share.payment_account_id,
                "percentage": str(share.percentage),
                "net_amount": str(share.net),
                "tax_amount": str(share.tax),
                "total_amount": str(share.total),
                "credits_applied_amount": str(share.credits_applied),
                "amount_due": str(share.amount_due),
            }
            for share in result.shares
        ],
        "withholdings": [
            {"name": w.id, "rate": str(w.rate), "amount": str(w.amount)} for w in result.withholdings
        ],
        "withholding_amount": str(result.withholding_amount),
        "gross_up_amount": str(result.gross_up_amount),
    }
