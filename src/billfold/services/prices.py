"""Catalog prices and the pricing of usage lines.

A price is stored as the API gave it (its model's name and camelCase fields as decimal strings) and
parsed by the pricing core whenever it is used, so what is stored is exactly what was validated. A line
keeps a snapshot of the price it was priced with: changing the catalog never changes an existing line.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from billfold.core.money import Currency, RoundingMode, to_plain_normalized
from billfold.core.pricing import (
    DimensionUsage,
    LineResult,
    Price,
    PriceValidationError,
    SeatInterval,
    ServicePeriod,
    SubLine,
    Usage,
    UsageKind,
    model_named,
    parse_price,
    price_line,
)
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.errors import NotFound, ValidationFailed
from billfold.services.products import get_product

_CAPITAL = re.compile(r"[A-Z]")


def parse_config(model: str, config: Mapping[str, Any], prefix: str = "") -> Price:
    """The pricing core's :class:`Price` for ``model`` and its fields; a 400 naming the field if invalid."""
    try:
        model_named(model)
        return parse_price(model, config)
    except PriceValidationError as error:
        raise ValidationFailed.field(prefix + error.field, error.message) from error


async def create_price(
    uow: UnitOfWork,
    actor: Actor,
    *,
    product_id: uuid.UUID,
    currency_code: str,
    model: str,
    config: dict[str, Any],
    idempotency_key: str,
) -> m.Price:
    product = await get_product(uow, actor, product_id)
    currency(currency_code)
    parse_config(model, config)
    price = m.Price(
        id=new_id(),
        organization_id=actor.organization_id,
        product_id=product.id,
        currency=currency_code,
        model=model,
        config=config,
        idempotency_key=idempotency_key,
        created_at=utcnow(),
    )
    await uow.repo.add(price)
    return price


async def get_price(uow: UnitOfWork, actor: Actor, price_id: uuid.UUID, field: str = "id") -> m.Price:
    price = await uow.repo.get(m.Price, actor.organization_id, price_id)
    if price is None:
        raise NotFound(f"price {price_id} not found", details={field: "no such price"})
    return price


@dataclass(frozen=True, slots=True)
class UsageInput:
    """What a usage line reports: a quantity, transactions, usage by dimension or seat intervals."""

    quantity: Decimal | None = None
    transactions: tuple[Decimal, ...] = ()
    by_dimension: tuple[tuple[tuple[str, ...], Decimal], ...] = ()
    intervals: tuple[tuple[date, date, Decimal], ...] = ()

    def usage(self) -> Usage:
        try:
            return Usage(
                quantity=self.quantity,
                transactions=self.transactions,
                dimensions=tuple(DimensionUsage(values, usage) for values, usage in self.by_dimension),
                seats=tuple(SeatInterval(start, end, quantity) for start, end, quantity in self.intervals),
            )
        except PriceValidationError as error:
            raise ValidationFailed.field(_api_usage_field(error.field), error.message) from error

    def as_json(self) -> dict[str, Any]:
        return {
            "usage": None if self.quantity is None else to_plain_normalized(self.quantity),
            "transactions": [to_plain_normalized(t) for t in self.transactions],
            "usage_by_dimension": [
                {"values": list(values), "usage": to_plain_normalized(usage)}
                for values, usage in self.by_dimension
            ],
            "intervals": [
                {"start_date": s.isoformat(), "end_date": e.isoformat(), "quantity": to_plain_normalized(q)}
                for s, e, q in self.intervals
            ],
        }


def _api_usage_field(field: str) -> str:
    """The core names usage fields after its own structures; the API names them after the request."""
    for core, api in (("seats", "intervals"), ("usage[", "usageByDimension["), ("quantity", "usage")):
        if field.startswith(core):
            return api + field[len(core) :]
    return field


@dataclass(frozen=True, slots=True)
class PricedUsage:
    result: LineResult
    usage_format: str
    sub_lines: list[dict[str, Any]]


def price_usage(
    price: Price,
    usage: UsageInput,
    money: Currency,
    mode: RoundingMode,
    start: date,
    end: date,
) -> PricedUsage:
    try:
        result = price_line(price, usage.usage(), money.exponent, mode, ServicePeriod(start, end))
    except PriceValidationError as error:
        raise ValidationFailed.field(_api_usage_field(error.field), error.message) from error
    usage_format = "currency" if price.model.usage_kind is UsageKind.TRANSACTIONS else "unit"
    return PricedUsage(result, usage_format, [sub_line_json(sub, money) for sub in result.sub_lines])


def sub_line_json(sub: SubLine, money: Currency) -> dict[str, Any]:
    """A sub line item as stored on its line: neutral (snake_case keys, also in its metadata), decimal
    strings, fixed-point; the API and the dialects shape it."""
    return {
        "id": str(new_id()),
        "type": sub.type.value,
        "orb_type": sub.orb_type.value,
        "name": sub.name,
        "usage": None if sub.usage is None else to_plain_normalized(sub.usage),
        "amount": format(sub.amount, f".{money.exponent}f"),
        "metadata": {snake(key): _meta(value) for key, value in sub.metadata.items()},
    }


def snake(name: str) -> str:
    """``minimumAmountApplied`` (the pricing core's metadata names) -> ``minimum_amount_applied``."""
    return _CAPITAL.sub(lambda match: "_" + match.group(0).lower(), name)


def _meta(value: object) -> Any:
    if isinstance(value, Decimal):
        return to_plain_normalized(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_meta(item) for item in value]
    return value
