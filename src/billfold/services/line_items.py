"""Line item groups and line items of a draft invoice.

Every write locks the invoice row first (then the group), recomputes only the line it touches, and adds
the difference to the running sums of its group and invoice, so adding a line costs the same on an
invoice of ten lines as on one of ten thousand.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm.attributes import set_committed_value

from billfold.core.money import ZERO
from billfold.db import driver
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.line_queries import ForNewLine, new_line_along
from billfold.db.numbering import LockNeeded
from billfold.db.organization_queries import Along
from billfold.db.repository import HeldGuard
from billfold.db.uow import UnitOfWork
from billfold.services import totals
from billfold.services.calculation import (
    GROSS_UP_SCOPE,
    LineState,
    Setting,
    line_alone,
    line_alone_with_shares,
    resolve_key,
    tax_key_columns,
)
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.document_data import check_unit_code
from billfold.services.errors import Conflict, NotFound, ValidationFailed
from billfold.services.groups import camel, check_dates, known_tax_category, lock_group
from billfold.services.invoices import (
    LineData,
    amount_columns,
    amounts_of,
    editable,
    get_invoice_row,
    load_invoice,
    lock_editable_invoice,
)
from billfold.services.line_pricing import (
    NewLine,
    id_text,
    is_usage,
    prepare,
    prepare_usage,
    price_line,
    priced_usage_line,
    pricing_input,
    repriced,
)
from billfold.services.products import (
    ensure_active,
    get_product,
    new_product,
    resolve_product,
    usable_product,
)
from billfold.services.running_sums import sums_json, sums_need_calculation, totals_with_line
from billfold.services.tax_categories import core_categories

__all__ = [
    "Lookups",
    "NewLine",
    "create_line",
    "delete_line",
    "get_line",
    "line_row",
    "load_line",
    "lock_line_for_change",
    "prepare",
    "prepare_usage",
    "refigure",
    "update_line",
]

USER_SCOPES = frozenset(
    {"one_off", "metric", "plan_fixed_amount", "additional_charge", "credit_purchase", GROSS_UP_SCOPE}
)


class Lookups:
    """What lines refer to (products, tax categories), looked up once per request: a request that
    creates many lines names the same product many times. Nothing outlives the request."""

    def __init__(self) -> None:
        self._products: dict[tuple[uuid.UUID | None, str | None], m.Product] = {}
        self._categories: set[uuid.UUID] = set()
        self._absent: set[str] = set()  # names known to have no product in this transaction (yet)

    def knowing(self, read: ForNewLine, name: str | None) -> Lookups:
        """Take what :meth:`Repository.lock_invoice_for_line` read: the organization's tax categories
        (a line naming another one is refused without a query) and the product of ``name``."""
        self._categories.update(category.id for category in read.categories)
        if name:
            if read.product is not None:
                self._products[(None, name)] = read.product
            else:
                self._absent.add(name)
        return self

    async def product(
        self, uow: UnitOfWork, actor: Actor, product_id: uuid.UUID | None, name: str | None
    ) -> m.Product:
        key = (product_id, None if product_id is not None else name)
        found = self._products.get(key)
        if found is None:
            if product_id is None and name in self._absent:
                found = await new_product(uow, actor, name)
            else:
                found = await resolve_product(uow, actor, product_id, name)
            self._products[key] = found
        return ensure_active(found, "productId" if product_id is not None else "name")

    async def prime(self, uow: UnitOfWork, actor: Actor, names: set[str]) -> None:
        """Look up the products of these names with one query (a bulk create names many)."""
        for product in await uow.repo.products_by_names(actor.organization_id, sorted(names)):
            self._products[(None, product.name)] = product

    async def tax_category(self, uow: UnitOfWork, actor: Actor, category_id: uuid.UUID) -> None:
        if category_id not in self._categories:
            await known_tax_category(uow, actor, category_id)
            self._categories.add(category_id)


def keep_answer(uow: UnitOfWork, line: m.LineItem, answer: Callable[[], str]) -> None:
    """Send the added ``line``'s native answer (``answer()``, as ``line_items.answer`` keeps it) with its
    held insert, for a line whose answer the database keeps (migration 0014's conditions: its currency's
    places known, no price model, usage, sub-lines, adjustments or adjustment shares); the trigger
    writes it otherwise."""
    if line.amount_places is None or line.price_model is not None:
        return
    if line.usage_input or line.sub_lines or line.adjustments or line.adjustment_shares:
        return
    uow.repo.keep_answer(line, answer)


async def create_line(
    uow: UnitOfWork,
    actor: Actor,
    invoice_id: uuid.UUID,
    new: NewLine,
    *,
    hold_writes: bool = False,
    unlocked: bool = False,
) -> tuple[m.LineItem, m.Invoice]:
    """Add a line to a draft. ``hold_writes``: the caller reads nothing more before it commits, so when
    the running sums decide the totals the writes (line, group, invoice) are held and go at commit as
    one statement with the rest of the transaction's (see :meth:`UnitOfWork.hold_writes`).

    ``unlocked`` (PostgreSQL, with ``hold_writes``, a unit of work whose statements commit one by one):
    the invoice (and group) are read without a lock, with their rows' versions, and the held writes are
    guarded (:meth:`Repository.guard_held`): they go, as one statement, only if those rows are still the
    versions read and the invoice's waiting ``invoice.updated`` takes the new payload. Whenever that is
    not so, or the add needs more than its running sums, or there is no such waiting event (a new one
    would be recorded), nothing is written and :class:`LockNeeded` is raised: the add is made again,
    locking, in one transaction."""
    # One statement locks the invoice and reads the tax categories and the product the line names.
    name = new.name if new.product_id is None else None
    group_id = new.line_item_group_id
    if unlocked:
        return await _create_unlocked(uow, actor, invoice_id, new, name)
    read = await uow.repo.lock_invoice_for_line(actor.organization_id, invoice_id, name, group_id)
    if read is None:
        # No such invoice, or no such group on it: the reads one by one say which (404, 409). Should
        # both exist now (made meanwhile), the same read again, under the locks they took.
        invoice = await lock_editable_invoice(uow, actor, invoice_id)
        if group_id is not None:
            await lock_group(uow, actor, invoice, group_id, field="lineItemGroupId")
        read = await uow.repo.lock_invoice_for_line(actor.organization_id, invoice_id, name, group_id)
        assert read is not None, "an invoice and group locked in this transaction are not read"
    else:
        invoice = await editable(uow, actor, invoice_id, read.invoice)
    group = read.group
    setting = await totals.setting_for(uow, actor, invoice, core_categories(read.categories))
    lookups = Lookups().knowing(read, name)
    values, state = await line_row(uow, actor, invoice, group, new, setting, invoice.next_line_index, lookups)
    line = driver.transient(m.LineItem, values)
    if hold_writes and await _add_held(uow, actor, invoice, group, line, state, setting):
        return line, invoice
    await uow.repo.insert(line)
    extra: dict[str, object] = {"next_line_index": invoice.next_line_index + 1}
    if line.scope == GROSS_UP_SCOPE:
        extra["recalculate_all"] = True
        set_committed_value(invoice, "recalculate_all", True)
    await totals.apply_change(uow, actor, invoice, group, None, state, setting=setting, **extra)
    return line, invoice


def unlocked_read(invoice_id: uuid.UUID, new: NewLine) -> Along:
    """What :func:`create_line` with ``unlocked`` reads first, to be sent with the caller's key."""
    name = new.name if new.product_id is None else None
    return new_line_along(invoice_id, name, new.line_item_group_id)


async def _create_unlocked(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, new: NewLine, name: str | None
) -> tuple[m.LineItem, m.Invoice]:
    """:func:`create_line` with ``unlocked``."""
    group_id = new.line_item_group_id
    read = await uow.repo.lock_invoice_for_line(actor.organization_id, invoice_id, name, group_id, lock=False)
    if read is None or not read.refreshable or read.version is None:
        raise LockNeeded  # no such invoice or group (the locked add says which), or no event to refresh
    if name and read.product is None:
        raise LockNeeded  # the line names a product to be made: a write of its own
    invoice = await editable(uow, actor, invoice_id, read.invoice)
    setting = await totals.setting_for(uow, actor, invoice, core_categories(read.categories))
    lookups = Lookups().knowing(read, name)
    values, state = await line_row(
        uow, actor, invoice, read.group, new, setting, invoice.next_line_index, lookups
    )
    line = driver.transient(m.LineItem, values)
    if not await _add_held(uow, actor, invoice, read.group, line, state, setting):
        raise LockNeeded
    uow.repo.guard_held(HeldGuard(actor.organization_id, invoice_id, read.version, group_id))
    return line, invoice


async def _add_held(
    uow: UnitOfWork,
    actor: Actor,
    invoice: m.Invoice,
    group: m.LineItemGroup | None,
    line: m.LineItem,
    state: LineState,
    setting: Setting,
) -> bool:
    """The fast path of :func:`create_line`: the same writes as :func:`totals.apply_change` makes for an
    added line, held for one statement at commit. False (nothing done) when the invoice needs more than
    its running sums: it is recalculated on every write, it has a minimum, the line is a gross-up, or the
    sums cannot decide."""
    if invoice.recalculate_all or invoice.minimum_line_id is not None or line.scope == GROSS_UP_SCOPE:
        return False
    summed = await totals_with_line(uow, setting, invoice, group, state)
    if summed is None:
        return False
    amounts, cells = summed
    totals.check_range(amounts)
    uow.hold_writes(actor.organization_id)  # nothing is read from here on
    await uow.repo.insert(line)
    if group is not None:
        await uow.repo.write_values(group, amount_columns(amounts_of(group) + state.amounts))
    now = utcnow()
    changes = {
        **amount_columns(amounts),
        "running_sums": sums_json(cells),
        "last_calculated_at": now,
        "updated_at": now,
        "next_line_index": invoice.next_line_index + 1,
    }
    await uow.repo.write_values(invoice, changes)
    return True


async def line_row(
    uow: UnitOfWork,
    actor: Actor,
    invoice: m.Invoice,
    group: m.LineItemGroup | None,
    new: NewLine,
    setting: Setting,
    position: int,
    lookups: Lookups,
) -> tuple[dict[str, Any], LineState]:
    """A new line of ``invoice`` at ``position``, validated and priced: its column values, with its own
    figures (the line alone), and its state for the running sums. Every line, one at a time or in bulk,
    is made here. Plain values, not an ORM object: a bulk create inserts thousands of them as they are."""
    start = new.start_date or (group.start_date if group else invoice.period_start)
    end = new.end_date or (group.end_date if group else invoice.period_end)
    check_dates(start, end)
    money = setting.currency
    if new.scope is not None and new.scope not in USER_SCOPES:
        raise ValidationFailed.field("scope", f"must be one of: {', '.join(sorted(USER_SCOPES))}")
    usage_line = await priced_usage_line(uow, actor, new, money, start, end) if is_usage(new) else None
    if usage_line is not None:
        catalog_price, model, config, priced = usage_line
        product_id = new.product_id
        if product_id is None and not new.name and catalog_price is not None:
            product_id = catalog_price.product_id  # a catalog price's line is named after its product
        product = await lookups.product(uow, actor, product_id, new.name)
    else:
        model, config, catalog_price = None, None, None
        product = await lookups.product(uow, actor, new.product_id, new.name)
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
        await lookups.tax_category(uow, actor, new.tax_category_id)
    line_id = new_id()
    key = None
    if not gross_up:
        key = resolve_key(
            setting,
            id_text(new.tax_category_id),
            id_text(group.tax_category_id) if group else None,
            id_text(product.tax_category_id),
        )
    alone = line_alone(setting, pricing_input(line_id, priced, product.id, catalog_price), key)
    values = dict(
        id=line_id,
        organization_id=actor.organization_id,
        invoice_id=invoice.id,
        group_id=group.id if group else None,
        product_id=product.id,
        position=position,
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
        unit_code=check_unit_code(new.unit_code),
        **tax_key_columns(key),
        adjustments=None,
        credits_applied_amount=None,
        idempotency_key=new.idempotency_key,
        created_at=utcnow(),
        **amount_columns(alone),
        amount_places=setting.currency.exponent,
    )
    state = LineState(alone, key, str(product.id), None if catalog_price is None else str(catalog_price.id))
    return values, state


async def get_line(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID) -> m.LineItem:
    line = await uow.repo.get(m.LineItem, actor.organization_id, line_id)
    if line is None or line.invoice_id != invoice_id:
        raise NotFound(f"line item {line_id} not found", details={"id": "no such line item on this invoice"})
    return line


async def load_line(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID
) -> tuple[LineData, m.Invoice]:
    """One line with the invoice's calculated figures, and its invoice. Its own row is enough when the
    invoice's figures are final as stored (issued, or no taxed or covered line); otherwise its shares of
    the covering adjustments and taxes depend on every line, and the invoice is calculated."""
    invoice = await get_invoice_row(uow, actor, invoice_id)
    line = await get_line(uow, actor, invoice_id, line_id)
    if invoice.frozen or not (
        sums_need_calculation(invoice.running_sums) or invoice.recalculate_all or invoice.allocations
    ):
        return line, invoice
    view = await load_invoice(uow, actor, invoice_id)
    return next(item for item in view.lines if item.id == line_id), invoice


async def _lock_line(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID
) -> tuple[m.Invoice, m.LineItemGroup | None, m.LineItem]:
    invoice = await lock_editable_invoice(uow, actor, invoice_id)
    line = await uow.repo.get_for_update(m.LineItem, actor.organization_id, line_id)
    if line is None or line.invoice_id != invoice.id:
        raise NotFound(f"line item {line_id} not found", details={"id": "no such line item on this invoice"})
    group = None
    if line.group_id is not None:
        group = await lock_group(uow, actor, invoice, line.group_id)
    return invoice, group, line


async def lock_line_for_change(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID
) -> tuple[m.Invoice, m.LineItemGroup | None, m.LineItem]:
    """Lock a draft invoice, its line and the line's group for a change to the line."""
    invoice, group, line = await _lock_line(uow, actor, invoice_id, line_id)
    _refuse_managed(line)
    return invoice, group, line


async def update_line(
    uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID, changes: dict[str, Any]
) -> m.LineItem:
    """Change a line's text, dates, product, pricing or usage; its amounts are recomputed and the sums
    of its group and invoice move by the difference."""
    invoice, group, line = await _lock_line(uow, actor, invoice_id, line_id)
    _refuse_managed(line)
    old = totals.state_of(line)  # before any change: the product decides which adjustments cover it
    for name in ("name", "start_date", "end_date", "quantity", "product_id"):
        if name in changes and changes[name] is None:
            raise ValidationFailed.field(camel(name), "cannot be null")
    if "product_id" in changes:
        line.product_id = (await usable_product(uow, actor, changes["product_id"])).id
    for name in ("name", "description", "start_date", "end_date"):
        if name in changes:
            setattr(line, name, changes[name])
    if "unit_code" in changes:
        line.unit_code = check_unit_code(changes["unit_code"])
    check_dates(line.start_date, line.end_date)
    priced = repriced(line, changes, currency(invoice.currency), actor.rounding_mode)
    if "tax_category_id" in changes:
        if changes["tax_category_id"] is not None:
            await known_tax_category(uow, actor, changes["tax_category_id"])
        line.tax_category_id = changes["tax_category_id"]
    elif priced is None and old.product_id == str(line.product_id):
        invoice.updated_at = utcnow()
        await uow.session.flush()
        return line
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
            id_text(line.tax_category_id),
            id_text(group.tax_category_id) if group else None,
            id_text(product.tax_category_id),
        )
    alone, shares = line_alone_with_shares(setting, totals.line_input(line), key)
    for name, value in amount_columns(alone).items():
        setattr(line, name, value)
    line.adjustment_shares = shares
    for name, value in tax_key_columns(key).items():
        setattr(line, name, value)
    new = LineState(alone, key, str(line.product_id), None if line.price_id is None else str(line.price_id))
    await totals.apply_change(uow, actor, invoice, group, old, new, setting=setting)


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
    await uow.repo.delete_row(m.LineItem, line.organization_id, line.id)
    if line.scope == GROSS_UP_SCOPE:
        await totals.recalculate(uow, actor, invoice)
        await uow.session.flush()
        return
    await totals.apply_change(uow, actor, invoice, group, totals.state_of(line), None)
