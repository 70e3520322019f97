"""How a line is priced: ``quantity × unitPrice`` rounded once, a fixed ``amount`` kept exactly, or a price
model applied to reported usage (with the price's snapshot kept on the line, so a later change of usage
or dates prices it again the same way)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from billfold.core.amounts import Amounts, base_amounts, derived_unit_price, unit_price_subtotal
from billfold.core.calculate import LineInput
from billfold.core.money import ONE, Currency, RoundingMode
from billfold.core.pricing import Evaluated, Price
from billfold.db import models as m
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.currencies import check_fits
from billfold.services.errors import ValidationFailed
from billfold.services.prices import (
    PricedUsage,
    UsageInput,
    evaluate_usage,
    parse_config,
    price_usage,
    usable_price,
)

MAX_LINE_AMOUNT = Decimal(10) ** 18


@dataclass(frozen=True, slots=True)
class NewLine:
    idempotency_key: str
    name: str | None = None
    product_id: uuid.UUID | None = None
    description: str | None = None
    line_item_group_id: uuid.UUID | None = None
    start_date: date | None = None
    end_date: date | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    amount: Decimal | None = None
    scope: str | None = None
    price_id: uuid.UUID | None = None
    price: dict[str, Any] | None = None
    usage: UsageInput | None = None
    tax_category_id: uuid.UUID | None = None
    unit_code: str | None = None
    inline: InlinePrice | None = None
    """``price`` parsed by :func:`prepare`; parsed when the line is priced if not."""
    evaluated: Evaluated | None = None
    """The usage priced exactly by the inline price, by :func:`prepare`."""


@dataclass(frozen=True, slots=True)
class InlinePrice:
    """A line's inline price (``{model, currency?, ...fields}``), validated."""

    model: str
    config: dict[str, Any]
    currency: object
    price: Price


def inline_price(raw: dict[str, Any]) -> InlinePrice:
    fields = dict(raw)
    model = str(fields.pop("model", ""))
    price_currency = fields.pop("currency", None)
    return InlinePrice(model, fields, price_currency, parse_config(model, fields, "price."))


def prepare(new: NewLine) -> NewLine:
    """``new`` with the work that needs nothing stored done: its inline price parsed and validated, its
    usage priced exactly by it (unless prorated), and its usage's stored form built. A caller does this
    before it opens the transaction, so a price of 1,000 tiers or a line of 100,000 transactions holds
    no write lock while it is worked out; what is left (the minimum, the rounding to the invoice's
    currency, the split into sub line items) is quick."""
    prepare_usage(new.usage)
    if new.price is None or new.inline is not None:
        return new
    inline = inline_price(new.price)
    return replace(new, inline=inline, evaluated=evaluate_usage(inline.price, line_usage(new)))


def prepare_usage(usage: UsageInput | None) -> UsageInput | None:
    """``usage`` with its stored form built (validated it was when made), before the transaction."""
    if usage is not None:
        usage.as_json()
    return usage


def line_usage(new: NewLine) -> UsageInput:
    """The usage a priced line reports (its ``quantity`` stands for ``usage`` when that is absent)."""
    usage = new.usage or UsageInput()
    if usage.quantity is None and new.quantity is not None:
        usage = replace(usage, quantity=new.quantity)
    return usage


@dataclass(frozen=True, slots=True)
class Priced:
    pricing: str
    quantity: Decimal
    unit_price: Decimal
    amounts: Amounts
    usage: PricedUsage | None = None


def price_line(
    quantity: Decimal | None,
    unit_price: Decimal | None,
    amount: Decimal | None,
    money: Currency,
    mode: RoundingMode,
) -> Priced:
    """A plain line: ``quantity × unitPrice`` rounded once, or a fixed ``amount`` kept exactly."""
    if amount is not None and unit_price is not None:
        reason = "give either amount or unitPrice, not both"
        raise ValidationFailed(reason, details={"amount": reason, "unitPrice": reason})
    if amount is not None:
        check_fits(amount, money)
        qty = ONE if quantity is None else quantity
        if qty.is_zero() and not amount.is_zero():
            raise ValidationFailed.field("quantity", "must be positive when an amount is given")
        return Priced("amount", qty, derived_unit_price(amount, qty), base_amounts(amount))
    if unit_price is None:
        reason = "give quantity and unitPrice, or amount"
        raise ValidationFailed(reason, details={"unitPrice": reason, "amount": reason})
    qty = ONE if quantity is None else quantity
    subtotal = unit_price_subtotal(qty, unit_price, money.exponent, mode)
    if abs(subtotal) >= MAX_LINE_AMOUNT:
        raise ValidationFailed.field("quantity", "quantity × unitPrice is out of range")
    return Priced("unit_price", qty, unit_price, base_amounts(subtotal))


def id_text(value: object) -> str | None:
    return None if value is None else str(value)


def pricing_input(
    line_id: uuid.UUID, priced: Priced, product_id: uuid.UUID, price: m.Price | None
) -> LineInput:
    plain = priced.pricing == "unit_price"
    return LineInput(
        str(line_id),
        priced.amounts.subtotal,
        product_id=str(product_id),
        price_id=None if price is None else str(price.id),
        quantity=priced.quantity if plain else None,
        unit_price=priced.unit_price if plain else None,
    )


def is_usage(new: NewLine) -> bool:
    return new.price_id is not None or new.price is not None


async def priced_usage_line(
    uow: UnitOfWork, actor: Actor, new: NewLine, money: Currency, start: date, end: date
) -> tuple[m.Price | None, str, dict[str, Any], Priced]:
    """Price a usage line with a catalog price (``priceId``) or an inline ``price``."""
    if new.price_id is not None and new.price is not None:
        reason = "give priceId or an inline price, not both"
        raise ValidationFailed(reason, details={"priceId": reason, "price": reason})
    if new.unit_price is not None or new.amount is not None:
        reason = "a priced line takes usage, not unitPrice or amount"
        raise ValidationFailed(reason, details={"unitPrice": reason, "amount": reason})
    catalog_price = None
    if new.price_id is not None:
        catalog_price = await usable_price(uow, actor, new.price_id, field="priceId")
        if catalog_price.currency != money.code:
            raise ValidationFailed.field(
                "priceId", f"the price is in {catalog_price.currency}, the invoice in {money.code}"
            )
        model, config = catalog_price.model, dict(catalog_price.config)
        price = parse_config(model, config)
    else:
        inline = new.inline or inline_price(new.price or {})
        if inline.currency is not None and inline.currency != money.code:
            raise ValidationFailed.field("price.currency", f"must be the invoice's currency {money.code}")
        model, config, price = inline.model, inline.config, inline.price
    evaluated = new.evaluated if catalog_price is None else None
    priced_usage = price_usage(price, line_usage(new), money, actor.rounding_mode, start, end, evaluated)
    amount = priced_usage.result.amount
    if abs(amount) >= MAX_LINE_AMOUNT:
        raise ValidationFailed.field("usage", "the priced amount is out of range")
    quantity = priced_usage.result.usage if priced_usage.result.usage is not None else ONE
    priced = Priced(
        "price", quantity, derived_unit_price(amount, quantity), base_amounts(amount), priced_usage
    )
    return catalog_price, model, config, priced


def repriced(line: m.LineItem, changes: dict[str, Any], money: Currency, mode: RoundingMode) -> Priced | None:
    """The line priced again after ``changes``, or ``None`` when nothing that prices it changed."""
    if line.pricing == "price":
        if not {"usage", "start_date", "end_date"} & changes.keys():
            if {"quantity", "unit_price", "amount"} & changes.keys():
                reason = "a priced line changes through its usage, not quantity, unitPrice or amount"
                raise ValidationFailed(reason, details=dict.fromkeys(("quantity", "unitPrice"), reason))
            return None
        usage: UsageInput = changes.get("usage") or stored_usage(line.usage_input)
        price = parse_config(line.price_model or "", line.price_config or {})
        priced_usage = price_usage(price, usage, money, mode, line.start_date, line.end_date)
        amount = priced_usage.result.amount
        quantity = priced_usage.result.usage if priced_usage.result.usage is not None else ONE
        return Priced(
            "price", quantity, derived_unit_price(amount, quantity), base_amounts(amount), priced_usage
        )
    if "usage" in changes:
        raise ValidationFailed.field("usage", "only a line priced by a price model takes usage")
    if not {"quantity", "unit_price", "amount"} & changes.keys():
        return None
    if changes.get("amount") is not None and changes.get("unit_price") is not None:
        reason = "give either amount or unitPrice, not both"
        raise ValidationFailed(reason, details={"amount": reason, "unitPrice": reason})
    quantity = changes.get("quantity", line.quantity)
    if "amount" in changes or ("unit_price" not in changes and line.pricing == "amount"):
        return price_line(quantity, None, changes.get("amount", line.subtotal_amount), money, mode)
    return price_line(quantity, changes.get("unit_price", line.unit_price), None, money, mode)


def stored_usage(raw: dict[str, Any] | None) -> UsageInput:
    raw = raw or {}
    quantity = raw.get("usage")
    return UsageInput(
        quantity=None if quantity is None else Decimal(quantity),
        transactions=tuple(Decimal(t) for t in raw.get("transactions", [])),
        by_dimension=tuple(
            (tuple(entry["values"]), Decimal(entry["usage"])) for entry in raw.get("usage_by_dimension", [])
        ),
        intervals=tuple(
            (date.fromisoformat(i["start_date"]), date.fromisoformat(i["end_date"]), Decimal(i["quantity"]))
            for i in raw.get("intervals", [])
        ),
    )
