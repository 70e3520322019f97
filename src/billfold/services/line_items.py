"""Line item groups and line items of a draft invoice.

Every write locks the invoice row first (then the group), recomputes only the line it touches, and adds
the difference to the running sums of its group and invoice, so adding a line costs the same on an
invoice of ten lines as on one of ten thousand.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm.attributes import set_committed_value

from billfold.core.amounts import Amounts, base_amounts, derived_unit_price, unit_price_subtotal
from billfold.core.calculate import LineInput
from billfold.core.money import ONE, ZERO, Currency, RoundingMode
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services import totals
from billfold.services.calculation import (
    GROSS_UP_SCOPE,
    LineState,
    line_alone,
    line_alone_with_shares,
    resolve_key,
    tax_key_text,
)
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.errors import Conflict, NotFound, ValidationFailed
from billfold.services.invoices import amount_columns, lock_editable_invoice
from billfold.services.prices import PricedUsage, UsageInput, get_price, parse_config, price_usage
from billfold.services.products import get_product, resolve_product

MAX_LINE_AMOUNT = Decimal(10) ** 18


@dataclass(frozen=True, slots=True)
class NewGroup:
    idempotency_key: str
    product_id: uuid.UUID | None = None
    name: str | None = None
    description: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    tax_category_id: uuid.UUID | None = None


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


USER_SCOPES = frozenset(
    {"one_off", "metric", "plan_fixed_amount", "additional_charge", "credit_purchase", GROSS_UP_SCOPE}
)


def _check_dates(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed.field("endDate", "must not be before startDate")


# -- groups ------------------------------------------------------------------------------------


async def create_group(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, new: NewGroup
) -> m.LineItemGroup:
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    product = await resolve_product(uow, actor, new.product_id, new.name)
    if new.tax_category_id is not None:
        await known_tax_category(uow, actor, new.tax_category_id)
    start = new.start_date or invoice.period_start
    end = new.end_date or invoice.period_end
    _check_dates(start, end)
    group = m.LineItemGroup(
        id=new_id(),
        organization_id=actor.organization_id,
        invoice_id=invoice.id,
        product_id=product.id,
        position=invoice.next_group_index,
        name=new.name or product.name,
        description=new.description,
        start_date=start,
        end_date=end,
        tax_category_id=new.tax_category_id,
        adjustments=None,
        idempotency_key=new.idempotency_key,
        created_at=utcnow(),
        **amount_columns(Amounts()),
    )
    await uow.repo.add(group)
    invoice.next_group_index += 1
    invoice.updated_at = utcnow()
    await uow.session.flush()
    return group


async def get_group(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, group_id: uuid.UUID, field: str = "id"
) -> m.LineItemGroup:
    group = await uow.repo.get(m.LineItemGroup, actor.organization_id, group_id)
    if group is None or group.invoice_id != invoice_id:
        raise NotFound(
            f"line item group {group_id} not found", details={field: "no such group on this invoice"}
        )
    return group


async def _lock_group(
    uow: UnitOfWork, actor: Actor, invoice: m.Invoice, group_id: uuid.UUID, field: str = "id"
) -> m.LineItemGroup:
    group = await uow.repo.get_for_update(m.LineItemGroup, actor.organization_id, group_id)
    if group is None or group.invoice_id != invoice.id:
        raise NotFound(
            f"line item group {group_id} not found", details={field: "no such group on this invoice"}
        )
    return group


async def update_group(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, group_id: uuid.UUID, changes: dict[str, Any]
) -> m.LineItemGroup:
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    group = await _lock_group(uow, actor, invoice, group_id)
    for name in ("name", "description", "start_date", "end_date"):
        if name in changes:
            if name in ("name", "start_date", "end_date") and changes[name] is None:
                raise ValidationFailed.field(_camel(name), "cannot be null")
            setattr(group, name, changes[name])
    _check_dates(group.start_date, group.end_date)
    invoice.updated_at = utcnow()
    await uow.session.flush()
    return group


async def delete_group(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, group_id: uuid.UUID) -> None:
    """Delete a group with its lines; their amounts leave the invoice's running sums."""
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    group = await _lock_group(uow, actor, invoice, group_id)
    await uow.repo.delete_lines_of_group(group.id)
    await uow.repo.delete_row(m.LineItemGroup, group.id)
    await totals.recalculate(uow, actor, invoice)
    if invoice.minimum_line_id is not None:
        await totals.apply_change(uow, actor, invoice, None, None, None)


# -- lines -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Priced:
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
) -> _Priced:
    """A plain line: ``quantity × unitPrice`` rounded once, or a fixed ``amount`` kept exactly."""
    if amount is not None and unit_price is not None:
        reason = "give either amount or unitPrice, not both"
        raise ValidationFailed(reason, details={"amount": reason, "unitPrice": reason})
    if amount is not None:
        if -amount.as_tuple().exponent > money.exponent:  # type: ignore[operator]
            raise ValidationFailed.field(
                "amount", f"has more decimal places than {money.code} allows ({money.exponent})"
            )
        qty = ONE if quantity is None else quantity
        if qty.is_zero() and not amount.is_zero():
            raise ValidationFailed.field("quantity", "must be positive when an amount is given")
        return _Priced("amount", qty, derived_unit_price(amount, qty), base_amounts(amount))
    if unit_price is None:
        reason = "give quantity and unitPrice, or amount"
        raise ValidationFailed(reason, details={"unitPrice": reason, "amount": reason})
    qty = ONE if quantity is None else quantity
    subtotal = unit_price_subtotal(qty, unit_price, money.exponent, mode)
    if abs(subtotal) >= MAX_LINE_AMOUNT:
        raise ValidationFailed.field("quantity", "quantity × unitPrice is out of range")
    return _Priced("unit_price", qty, unit_price, base_amounts(subtotal))


async def create_line(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, new: NewLine
) -> tuple[m.LineItem, m.Invoice]:
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    group = None
    if new.line_item_group_id is not None:
        group = await _lock_group(uow, actor, invoice, new.line_item_group_id, field="lineItemGroupId")
    start = new.start_date or (group.start_date if group else invoice.period_start)
    end = new.end_date or (group.end_date if group else invoice.period_end)
    _check_dates(start, end)
    money = currency(invoice.currency)
    if new.scope is not None and new.scope not in USER_SCOPES:
        raise ValidationFailed.field("scope", f"must be one of: {', '.join(sorted(USER_SCOPES))}")
    usage_line = await _usage_line(uow, actor, new, money, start, end) if _is_usage(new) else None
    if usage_line is not None:
        catalog_price, model, config, priced = usage_line
        product_id = new.product_id
        if product_id is None and not new.name and catalog_price is not None:
            product_id = catalog_price.product_id  # a catalog price's line is named after its product
        product = await resolve_product(uow, actor, product_id, new.name)
    else:
        model, config, catalog_price = None, None, None
        product = await resolve_product(uow, actor, new.product_id, new.name)
        unit_price = new.unit_price
        if new.scope == GROSS_UP_SCOPE:  # its amount is derived by the calculation
            priced = price_line(None, None, ZERO, money, actor.rounding_mode)
        else:
            if unit_price is None and new.amount is None:
                unit_price = product.default_unit_price
            priced = price_line(new.quantity, unit_price, new.amount, money, actor.rounding_mode)
    gross_up = new.scope == GROSS_UP_SCOPE
    if gross_up and (usage_line is not None or new.amount is not None or new.unit_price is not None):
        raise ValidationFailed.field(
            "scope", "a tax_gross_up line's amount is derived; give no amount or price"
        )
    if new.tax_category_id is not None:
        await known_tax_category(uow, actor, new.tax_category_id)
    setting = await totals.setting_for(uow, actor, invoice)
    line_id = new_id()
    key = None
    if not gross_up:
        key = resolve_key(
            setting,
            _text(new.tax_category_id),
            _text(group.tax_category_id) if group else None,
            _text(product.tax_category_id),
        )
    alone = line_alone(setting, _input(line_id, priced, product.id, catalog_price), key)
    line = m.LineItem(
        id=line_id,
        organization_id=actor.organization_id,
        invoice_id=invoice.id,
        group_id=group.id if group else None,
        product_id=product.id,
        position=invoice.next_line_index,
        name=new.name or product.name,
        description=new.description,
        scope=new.scope or ("metric" if usage_line else "one_off"),
        start_date=start,
        end_date=end,
        pricing=priced.pricing,
        quantity=priced.quantity,
        unit_price=priced.unit_price,
        price_id=catalog_price.id if catalog_price else None,
        price_model=model,
        price_config=config,
        usage_input=new.usage.as_json() if new.usage and usage_line else None,
        total_usage=priced.usage.result.usage if priced.usage else None,
        usage_format=priced.usage.usage_format if priced.usage else None,
        sub_lines=priced.usage.sub_lines if priced.usage else None,
        tax_category_id=new.tax_category_id,
        tax_key=tax_key_text(key),
        adjustments=None,
        credits_applied_amount=None,
        idempotency_key=new.idempotency_key,
        created_at=utcnow(),
        **amount_columns(alone),
    )
    await uow.repo.insert(line)
    extra: dict[str, object] = {"next_line_index": invoice.next_line_index + 1}
    if gross_up:
        extra["recalculate_all"] = True
        set_committed_value(invoice, "recalculate_all", True)
    await totals.apply_change(
        uow, actor, invoice, group, None, LineState(alone, key), setting=setting, **extra
    )
    return line, invoice


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _input(line_id: uuid.UUID, priced: _Priced, product_id: uuid.UUID, price: m.Price | None) -> LineInput:
    plain = priced.pricing == "unit_price"
    return LineInput(
        str(line_id),
        priced.amounts.subtotal,
        product_id=str(product_id),
        price_id=None if price is None else str(price.id),
        quantity=priced.quantity if plain else None,
        unit_price=priced.unit_price if plain else None,
    )


async def known_tax_category(uow: UnitOfWork, actor: Actor, category_id: uuid.UUID) -> m.TaxCategory:
    category = await uow.repo.get(m.TaxCategory, actor.organization_id, category_id)
    if category is None:
        raise NotFound("tax category not found", details={"taxCategoryId": "no such tax category"})
    return category


def _is_usage(new: NewLine) -> bool:
    return new.price_id is not None or new.price is not None


async def _usage_line(
    uow: UnitOfWork, actor: Actor, new: NewLine, money: Currency, start: date, end: date
) -> tuple[m.Price | None, str, dict[str, Any], _Priced]:
    """Price a usage line with a catalog price (``priceId``) or an inline ``price``."""
    if new.price_id is not None and new.price is not None:
        reason = "give priceId or an inline price, not both"
        raise ValidationFailed(reason, details={"priceId": reason, "price": reason})
    if new.unit_price is not None or new.amount is not None:
        reason = "a priced line takes usage, not unitPrice or amount"
        raise ValidationFailed(reason, details={"unitPrice": reason, "amount": reason})
    catalog_price = None
    if new.price_id is not None:
        catalog_price = await get_price(uow, actor, new.price_id, field="priceId")
        if catalog_price.currency != money.code:
            raise ValidationFailed.field(
                "priceId", f"the price is in {catalog_price.currency}, the invoice in {money.code}"
            )
        model, config, prefix = catalog_price.model, dict(catalog_price.config), ""
    else:
        raw = dict(new.price or {})
        model = str(raw.pop("model", ""))
        raw_currency = raw.pop("currency", None)
        if raw_currency is not None and raw_currency != money.code:
            raise ValidationFailed.field("price.currency", f"must be the invoice's currency {money.code}")
        config, prefix = raw, "price."
    price = parse_config(model, config, prefix)
    usage = new.usage or UsageInput()
    if usage.quantity is None and new.quantity is not None:
        usage = replace(usage, quantity=new.quantity)
    priced_usage = price_usage(price, usage, money, actor.rounding_mode, start, end)
    amount = priced_usage.result.amount
    if abs(amount) >= MAX_LINE_AMOUNT:
        raise ValidationFailed.field("usage", "the priced amount is out of range")
    quantity = priced_usage.result.usage if priced_usage.result.usage is not None else ONE
    priced = _Priced(
        "price", quantity, derived_unit_price(amount, quantity), base_amounts(amount), priced_usage
    )
    return catalog_price, model, config, priced


async def get_line(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID) -> m.LineItem:
    line = await uow.repo.get(m.LineItem, actor.organization_id, line_id)
    if line is None or line.invoice_id != invoice_id:
        raise NotFound(f"line item {line_id} not found", details={"id": "no such line item on this invoice"})
    return line


async def _lock_line(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID
) -> tuple[m.Invoice, m.LineItemGroup | None, m.LineItem]:
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    line = await uow.repo.get_for_update(m.LineItem, actor.organization_id, line_id)
    if line is None or line.invoice_id != invoice.id:
        raise NotFound(f"line item {line_id} not found", details={"id": "no such line item on this invoice"})
    group = None
    if line.group_id is not None:
        group = await _lock_group(uow, actor, invoice, line.group_id)
    return invoice, group, line


async def lock_line_for_change(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID
) -> tuple[m.Invoice, m.LineItemGroup | None, m.LineItem]:
    """Lock a draft invoice, its line and the line's group for a change to the line."""
    invoice, group, line = await _lock_line(uow, actor, invoice_id, line_id)
    _refuse_managed(line)
    return invoice, group, line


async def lock_group_for_change(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, group_id: uuid.UUID
) -> tuple[m.Invoice, m.LineItemGroup]:
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    return invoice, await _lock_group(uow, actor, invoice, group_id)


async def update_line(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID, changes: dict[str, Any]
) -> m.LineItem:
    """Change a line's text, dates, product, pricing or usage; its amounts are recomputed and the sums
    of its group and invoice move by the difference."""
    invoice, group, line = await _lock_line(uow, actor, invoice_id, line_id)
    _refuse_managed(line)
    for name in ("name", "start_date", "end_date", "quantity", "product_id"):
        if name in changes and changes[name] is None:
            raise ValidationFailed.field(_camel(name), "cannot be null")
    if "product_id" in changes:
        line.product_id = (await get_product(uow, actor, changes["product_id"])).id
    for name in ("name", "description", "start_date", "end_date"):
        if name in changes:
            setattr(line, name, changes[name])
    _check_dates(line.start_date, line.end_date)
    priced = _repriced(line, changes, currency(invoice.currency), actor.rounding_mode)
    if "tax_category_id" in changes:
        if changes["tax_category_id"] is not None:
            await known_tax_category(uow, actor, changes["tax_category_id"])
        line.tax_category_id = changes["tax_category_id"]
    elif priced is None:
        invoice.updated_at = utcnow()
        await uow.session.flush()
        return line
    old = totals.state_of(line)
    if priced is not None:
        line.pricing, line.quantity, line.unit_price = priced.pricing, priced.quantity, priced.unit_price
        line.subtotal_amount = priced.amounts.subtotal
        if priced.usage is not None:
            line.total_usage = priced.usage.result.usage
            line.sub_lines = priced.usage.sub_lines
            if "usage" in changes:
                line.usage_input = changes["usage"].as_json()
    await refigure(uow, actor, invoice, group, line, old)
    return line


async def refigure(
    uow: UnitOfWork,
    actor: Actor,
    invoice: m.Invoice,
    group: m.LineItemGroup | None,
    line: m.LineItem,
    old: LineState,
) -> None:
    """Recompute a changed line's own figures (base, its adjustments, its rate) and move the invoice's
    totals from ``old`` to them."""
    setting = await totals.setting_for(uow, actor, invoice)
    product = await get_product(uow, actor, line.product_id)
    key = None
    if line.scope != GROSS_UP_SCOPE:
        key = resolve_key(
            setting,
            _text(line.tax_category_id),
            _text(group.tax_category_id) if group else None,
            _text(product.tax_category_id),
        )
    alone, shares = line_alone_with_shares(setting, totals.line_input(line), key)
    for name, value in amount_columns(alone).items():
        setattr(line, name, value)
    line.adjustment_shares = shares
    line.tax_key = tax_key_text(key)
    await totals.apply_change(uow, actor, invoice, group, old, LineState(alone, key), setting=setting)


def _repriced(
    line: m.LineItem, changes: dict[str, Any], money: Currency, mode: RoundingMode
) -> _Priced | None:
    """The line priced again after ``changes``, or ``None`` when nothing that prices it changed."""
    if line.pricing == "price":
        if not {"usage", "start_date", "end_date"} & changes.keys():
            if {"quantity", "unit_price", "amount"} & changes.keys():
                reason = "a priced line changes through its usage, not quantity, unitPrice or amount"
                raise ValidationFailed(reason, details=dict.fromkeys(("quantity", "unitPrice"), reason))
            return None
        usage: UsageInput = changes.get("usage") or _stored_usage(line.usage_input)
        price = parse_config(line.price_model or "", line.price_config or {})
        priced_usage = price_usage(price, usage, money, mode, line.start_date, line.end_date)
        amount = priced_usage.result.amount
        quantity = priced_usage.result.usage if priced_usage.result.usage is not None else ONE
        return _Priced(
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


def _stored_usage(raw: dict[str, Any] | None) -> UsageInput:
    raw = raw or {}
    quantity = raw.get("usage")
    return UsageInput(
        quantity=None if quantity is None else Decimal(quantity),
        transactions=tuple(Decimal(t) for t in raw.get("transactions", [])),
        by_dimension=tuple(
            (tuple(entry["values"]), Decimal(entry["usage"])) for entry in raw.get("usageByDimension", [])
        ),
        intervals=tuple(
            (date.fromisoformat(i["startDate"]), date.fromisoformat(i["endDate"]), Decimal(i["quantity"]))
            for i in raw.get("intervals", [])
        ),
    )


def _refuse_managed(line: m.LineItem) -> None:
    if line.pricing == "minimum":
        raise Conflict(
            "this line is the invoice minimum's shortfall; change it through the invoice minimum",
            code="managed_line",
            details={"id": "managed by the invoice minimum"},
        )


async def delete_line(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID) -> None:
    invoice, group, line = await _lock_line(uow, actor, invoice_id, line_id)
    _refuse_managed(line)
    await uow.repo.delete_row(m.LineItem, line.id)
    if line.scope == GROSS_UP_SCOPE:
        await totals.recalculate(uow, actor, invoice)
        await uow.session.flush()
        return
    await totals.apply_change(uow, actor, invoice, group, totals.state_of(line), None)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
