"""An invoice minimum (a plan's or a contract's): a line of its own scope carries the shortfall.

The minimum line's amount is ``max(0, minimum − Σ subtotal of the invoice's other lines)`` and is kept up
to date by every change to the invoice's lines (see :func:`billfold.services.invoices.refresh_minimum`).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from billfold.core.amounts import Amounts
from billfold.core.money import ONE, ZERO
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services import totals
from billfold.services.calculation import resolve_key, tax_key_columns
from billfold.services.context import Actor
from billfold.services.currencies import check_fits, currency
from billfold.services.errors import ValidationFailed
from billfold.services.invoices import amount_columns, lock_editable_invoice
from billfold.services.products import resolve_product

MINIMUM_SCOPES = ("plan_minimum_amount", "contract_minimum_amount")


async def set_minimum(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, amount: Decimal, scope: str, name: str | None
) -> m.Invoice:
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    money = currency(invoice.currency)
    if scope not in MINIMUM_SCOPES:
        raise ValidationFailed.field("scope", f"must be one of: {', '.join(MINIMUM_SCOPES)}")
    if amount < ZERO:
        raise ValidationFailed.field("amount", "must not be negative")
    check_fits(amount, money)
    label = name or ("Plan minimum" if scope == "plan_minimum_amount" else "Contract minimum")
    setting = await totals.setting_for(uow, actor, invoice)
    added = None  # a new minimum line joins the invoice's running sums (at zero, then its shortfall)
    if invoice.minimum_line_id is None:
        product = await resolve_product(uow, actor, None, label, allow_archived=True)
        product_category = None if product.tax_category_id is None else str(product.tax_category_id)
        line = m.LineItem(
            id=new_id(),
            organization_id=actor.organization_id,
            invoice_id=invoice.id,
            group_id=None,
            product_id=product.id,
            position=invoice.next_line_index,
            name=label,
            description=None,
            unit_code="C62",
            scope=scope,
            start_date=invoice.period_start,
            end_date=invoice.period_end,
            pricing="minimum",
            amount_places=money.exponent,
            quantity=ONE,
            unit_price=ZERO,
            sub_lines=[],
            **tax_key_columns(resolve_key(setting, product_category)),
            idempotency_key=f"minimum-{invoice.id.hex}",
            created_at=utcnow(),
            **amount_columns(Amounts()),
        )
        uow.session.add(line)
        added = totals.state_of(line)
        invoice.minimum_line_id = line.id
        invoice.next_line_index += 1
    else:
        existing = await uow.repo.get_for_update(m.LineItem, actor.organization_id, invoice.minimum_line_id)
        if existing is not None:
            existing.scope, existing.name = scope, label
    invoice.minimum_amount, invoice.minimum_scope = amount, scope
    await uow.session.flush()
    await totals.apply_change(uow, actor, invoice, None, None, added, setting=setting)
    return invoice


async def remove_minimum(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> m.Invoice:
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    if invoice.minimum_line_id is None:
        return invoice
    line = await uow.repo.get_for_update(m.LineItem, actor.organization_id, invoice.minimum_line_id)
    invoice.minimum_line_id, invoice.minimum_amount, invoice.minimum_scope = None, None, None
    if line is not None:
        await uow.repo.delete_row(m.LineItem, line.organization_id, line.id)
        await totals.apply_change(uow, actor, invoice, None, totals.state_of(line), None)
    return invoice
