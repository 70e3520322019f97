"""Sequence's invoice line item endpoints (seed 001 and the line items Sequence puts in its groups).

Creates answer 201 and are idempotent on an ``Idempotency-Key`` header, in the native API's scopes.
The ``Sequence-Version`` header is accepted; every version gets the same shapes.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.db.uow import UnitOfWork
from billfold.dialects.common import create_once, parse, read_json, respond
from billfold.dialects.sequence import render
from billfold.dialects.sequence.schemas import GroupIn, LineIn
from billfold.services import invoices, line_items, products
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.errors import ValidationFailed
from billfold.web.plumbing import current_actor, read

router = APIRouter(prefix="/invoices/{invoice_id}", tags=["Sequence"])
FLAVOUR = "sequence"


# -- line item groups ----------------------------------------------------------------------------


@router.post("/line-item-groups", status_code=201, summary="Create a new Line Item Group")
async def create_group(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """``taxCategoryId`` is echoed on the answer as ``taxCategory`` (named after the group product's tax
    category); Billfold has no tax categories of its own yet, so later reads do not repeat it."""
    data = await read_json(request)
    body = parse(GroupIn, data)

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        new = line_items.NewGroup(idempotency_key=key, name=body.title, description=body.description)
        row = await line_items.create_group(uow, actor, invoice_id, new)
        invoice = await invoices.get_invoice_row(uow, actor, invoice_id)
        tax_category = None
        if body.tax_category_id is not None and row.product_id is not None:
            product = await products.get_product(uow, actor, row.product_id)
            tax_category = {"id": str(body.tax_category_id), "name": product.tax_category or ""}
        return 201, render.group(row, currency(invoice.currency), tax_category)

    scope = f"line_item_group:{invoice_id}"
    return await create_once(request, actor, scope, None, data, work, flavour=FLAVOUR)


@router.get("/line-item-groups", summary="List all LineItemGroups")
async def list_groups(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    view = await read(request, lambda uow: invoices.load_invoice(uow, actor, invoice_id))
    return respond(200, render.page([render.group(row, view.currency) for row in view.groups]))


@router.get("/line-item-groups/{group_id}", summary="Get a Line Item Group")
async def get_group(
    invoice_id: uuid.UUID, group_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    async def work(uow: UnitOfWork) -> Any:
        row = await line_items.get_group(uow, actor, invoice_id, group_id)
        invoice = await invoices.get_invoice_row(uow, actor, invoice_id)
        return render.group(row, currency(invoice.currency))

    return respond(200, await read(request, work))


# -- line items ----------------------------------------------------------------------------------


def _service_period(body: LineIn) -> tuple[date | None, date | None]:
    start = body.service_period.start_date if body.service_period else None
    end = body.service_period.end_date if body.service_period else None
    for given, stamped, field in (
        (start, body.service_period_start, "servicePeriodStart"),
        (end, body.service_period_end, "servicePeriodEnd"),
    ):
        if given is not None and stamped is not None and given != stamped:
            raise ValidationFailed.field(field, "does not agree with servicePeriod")
    return start or body.service_period_start, end or body.service_period_end


@router.post("/line-items", status_code=201, summary="Create a new Line Item")
async def create_line(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """``quantity × rate`` (quantity defaults to 1). Billfold does not apply per-line tax rates yet, so a
    ``taxRate`` other than zero is refused rather than silently dropped."""
    data = await read_json(request)
    body = parse(LineIn, data)
    if body.tax_rate is not None and not body.tax_rate.is_zero():
        raise ValidationFailed.field(
            "taxRate", 'per-line tax rates are not supported yet; send "0" or omit it'
        )
    start, end = _service_period(body)

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        new = line_items.NewLine(
            idempotency_key=key,
            name=body.title,
            description=body.description,
            line_item_group_id=body.group_id,
            start_date=start,
            end_date=end,
            quantity=body.quantity,
            unit_price=body.rate,
        )
        line, invoice = await line_items.create_line(uow, actor, invoice_id, new)
        return 201, render.line(line, currency(invoice.currency))

    scope = f"line_item:{invoice_id}"
    return await create_once(request, actor, scope, None, data, work, flavour=FLAVOUR)


async def _lines(request: Request, actor: Actor, invoice_id: uuid.UUID) -> list[dict[str, Any]]:
    view = await read(request, lambda uow: invoices.load_invoice(uow, actor, invoice_id))
    return [render.line(row, view.currency) for row in view.lines]


@router.get("/line-items/all", summary="List all line items for invoice (unpaginated)")
async def all_lines(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    return respond(200, {"items": await _lines(request, actor, invoice_id)})


@router.get("/line-items", summary="List line items for invoice")
async def list_lines(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    return respond(200, render.page(await _lines(request, actor, invoice_id)))


@router.get("/line-items/{line_id}", summary="Get a Line Item")
async def get_line(
    invoice_id: uuid.UUID, line_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    async def work(uow: UnitOfWork) -> Any:
        row = await line_items.get_line(uow, actor, invoice_id, line_id)
        invoice = await invoices.get_invoice_row(uow, actor, invoice_id)
        return render.line(row, currency(invoice.currency))

    return respond(200, await read(request, work))
