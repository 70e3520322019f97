"""Catalog prices and the pricing of usage lines.

A price is stored as the API gave it (its model's name and camelCase fields as decimal strings) and
parsed by the pricing core whenever it is used, so what is stored is exactly what was validated. A line
keeps a snapshot of the price it was priced with: changing the catalog never changes an existing line.

A price may be archived: a new line may not use it (409 ``price_archived`` naming ``priceId``), nor a
price of an archived product (409 ``product_archived`` naming ``priceId``); lines already priced with it
keep their snapshot. A new price for an archived product is refused too (409 naming ``productId``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from billfold.core.money import Currency, RoundingMode, to_plain_normalized
from billfold.core.pricing import (
    BillingModel,
    DimensionUsage,
    Evaluated,
    LineResult,
    Price,
    PriceValidationError,
    SeatInterval,
    ServicePeriod,
    SubLine,
    Usage,
    UsageKind,
    evaluate,
    model_named,
    parse_price,
    price_line,
)
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.errors import Conflict, NotFound, ValidationFailed
from billfold.services.products import ensure_active, get_product, usable_product

_CAPITAL = re.compile(r"[A-Z]")


def parse_config(model: str, config: Mapping[str, Any], prefix: str = "") -> Price:
    """The pricing core's :class:`Price` for ``model`` and its fields; a 400 naming the field if invalid."""
    try:
        model_named(model)
        return parse_price(model, config)
    except PriceValidationError as error:
        raise ValidationFailed.field(prefix + error.field, error.message) from error


@dataclass(frozen=True, slots=True)
class CheckedPrice:
    """A price's currency, model and fields, validated: what :func:`create_price` stores."""

    currency: str
    model: str
    config: dict[str, Any]
    price: Price


def check_price(currency_code: str, model: str, config: dict[str, Any]) -> CheckedPrice:
    """Validate a new price; it needs nothing stored, so the caller does it before opening the
    transaction (a price may have 1,000 tiers: no write lock is held while they are parsed)."""
    currency(currency_code)
    return CheckedPrice(currency_code, model, config, parse_config(model, config))


async def create_price(
    uow: UnitOfWork, actor: Actor, *, product_id: uuid.UUID, checked: CheckedPrice, idempotency_key: str
) -> m.Price:
    product = await usable_product(uow, actor, product_id)
    price = m.Price(
        id=new_id(),
        organization_id=actor.organization_id,
        product_id=product.id,
        currency=checked.currency,
        model=checked.model,
        config=checked.config,
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


async def usable_price(uow: UnitOfWork, actor: Actor, price_id: uuid.UUID, field: str = "priceId") -> m.Price:
    """A price a new line may use: the organization's (404), not archived, of a product not archived
    (409 naming ``field``)."""
    price = await get_price(uow, actor, price_id, field=field)
    if price.archived_at is not None:
        raise Conflict(
            f"price {price.id} is archived and cannot be used on new lines",
            code="price_archived",
            details={field: "the price is archived; unarchive it to use it on new lines"},
        )
    ensure_active(await get_product(uow, actor, price.product_id), field)
    return price


async def set_price_archived(
    uow: UnitOfWork, actor: Actor, price_id: uuid.UUID, *, archived: bool
) -> m.Price:
    """Archive or unarchive a price; doing it twice changes nothing (the first ``archivedAt`` stays)."""
    price = await uow.repo.get_for_update(m.Price, actor.organization_id, price_id)
    if price is None:
        raise NotFound.resource("price", price_id)
    if archived and price.archived_at is None:
        await uow.repo.write_values(price, {"archived_at": utcnow()})
    elif not archived and price.archived_at is not None:
        await uow.repo.write_values(price, {"archived_at": None})
    return price


@dataclass(frozen=True, slots=True)
class UsageInput:
    """What a usage line reports: a quantity, transactions, usage by dimension or seat intervals.

    Validated when made (a 400 naming the field), so a request's usage, up to 100,000 transactions,
    is checked where the request is read, before its transaction opens."""

    quantity: Decimal | None = None
    transactions: tuple[Decimal, ...] = ()
    by_dimension: tuple[tuple[tuple[str, ...], Decimal], ...] = ()
    intervals: tuple[tuple[date, date, Decimal], ...] = ()
    checked: Usage = field(init=False, repr=False, compare=False)
    _json: dict[str, Any] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        try:
            usage = Usage(
                quantity=self.quantity,
                transactions=self.transactions,
                dimensions=tuple(DimensionUsage(values, usage) for values, usage in self.by_dimension),
                seats=tuple(SeatInterval(start, end, quantity) for start, end, quantity in self.intervals),
            )
        except PriceValidationError as error:
            raise ValidationFailed.field(_api_usage_field(error.field), error.message) from error
        object.__setattr__(self, "checked", usage)

    def as_json(self) -> dict[str, Any]:
        """The usage as stored on its line; built once (a caller builds it before its transaction)."""
        if self._json is None:
            object.__setattr__(self, "_json", self._build_json())
        assert self._json is not None
        return self._json

    def _build_json(self) -> dict[str, Any]:
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
    if field == "usage":  # the usage by dimension as a whole
        return "usageByDimension"
    for core, api in (("seats", "intervals"), ("usage[", "usageByDimension["), ("quantity", "usage")):
        if field.startswith(core):
            return api + field[len(core) :]
    return field


@dataclass(frozen=True, slots=True)
class PricedUsage:
    result: LineResult
    usage_format: str
    sub_lines: list[dict[str, Any]]


def evaluate_usage(price: Price, usage: UsageInput) -> Evaluated | None:
    """The usage priced exactly by the price's model (up to 100,000 transactions): it needs neither the
    invoice's currency nor its rounding, so a caller does it before its transaction opens. ``None`` for
    a prorated price, which needs the line's dates (they may come from the invoice)."""
    if price.billing_model is BillingModel.PRORATION:
        return None
    try:
        return evaluate(price, usage.checked)
    except PriceValidationError as error:
        raise ValidationFailed.field(_api_usage_field(error.field), error.message) from error


def price_usage(
    price: Price,
    usage: UsageInput,
    money: Currency,
    mode: RoundingMode,
    start: date,
    end: date,
    evaluated: Evaluated | None = None,
) -> PricedUsage:
    """Price a line's usage; ``evaluated`` is :func:`evaluate_usage` of this price and usage, if done."""
    try:
        service = ServicePeriod(start, end)
        result = price_line(price, usage.checked, money.exponent, mode, service, evaluated)
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
