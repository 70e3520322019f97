"""Sequence's invoice line item endpoints (seed 001 and the line items Sequence puts in its groups).

Creates answer 201 and are idempotent on an ``Idempotency-Key`` header, in the native API's scopes.
The ``Sequence-Version`` header is accepted; every version gets the same shapes.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.db.uow import UnitOfWork
from billfold.dialects.common import (
    create_once,
    parse,
    plain,
    read_json,
    respond,
    tax_category_names,
)
from billfold.dialects.sequence import render
from billfold.dialects.sequence.schemas import GroupIn, LineIn
from billfold.documents.records import GroupRecord, LineRecord
from billfold.services import groups, invoice_records, invoices, line_items, tax_categories
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.errors import Conflict, ValidationFailed
from billfold.services.invoice_records import line_record
from billfold.web.plumbing import current_actor, read

router = APIRouter(prefix="/invoices/{invoice_id}", tags=["Sequence"])
FLAVOUR = "sequence"


# -- line item groups ----------------------------------------------------------------------------


@router.post("/line-item-groups", status_code=201, summary="Create a new Line Item Group")
async def create_group(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """``taxCategoryId`` sets the group's tax category, which taxes every line of the group (unless a
    line has its own); an id that is not one of the organization's categories is a 404 naming it."""
    data = await read_json(request)
    body = parse(GroupIn, data)

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        new = groups.NewGroup(
            idempotency_key=key,
            name=body.title,
            description=body.description,
            tax_category_id=body.tax_category_id,
        )
        row = await groups.create_group(uow, actor, invoice_id, new)
        invoice = await invoices.get_invoice_row(uow, actor, invoice_id)
        names = {}
        if row.tax_category_id is not None:
            category = await tax_categories.get_tax_category(
                uow, actor, row.tax_category_id, field="taxCategoryId"
            )
            names[str(category.id)] = category.name
        return 201, render.group(row, currency(invoice.currency), names)

    scope = f"line_item_group:{invoice_id}"
    return await create_once(request, actor, scope, None, data, work, flavour=FLAVOUR)


async def _groups(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> list[tuple[GroupRecord, Any]]:
    """The invoice's groups in Sequence's shape, with the figures of the invoice's calculation."""
    record = await invoice_records.load_invoice_record(uow, actor, invoice_id)
    names = await tax_category_names(uow, actor, (row.tax_category_id for row in record.groups))
    return [(row, render.group(row, record.currency, names)) for row in record.groups]


@router.get("/line-item-groups", summary="List all LineItemGroups")
async def list_groups(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    groups = await read(request, lambda uow: _groups(uow, actor, invoice_id))
    return respond(200, render.page([body for _, body in groups]))


@router.get("/line-item-groups/{group_id}", summary="Get a Line Item Group")
async def get_group(
    invoice_id: uuid.UUID, group_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    async def work(uow: UnitOfWork) -> Any:
        for row, body in await _groups(uow, actor, invoice_id):
            if row.id == str(group_id):
                return body
        await groups.get_group(uow, actor, invoice_id, group_id)  # raises the 404
        return None

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


def _check_tax_rate(given: Decimal | None, line: LineRecord) -> None:
    """A 400 (and the line is not kept: the transaction rolls back) when ``taxRate`` is not the rate
    of the line's tax category."""
    if given is None:
        return
    expected = render.tax_rate(line)
    if given == expected:
        return
    rate = plain(expected)
    source = "no tax category" if line.tax is None else "a tax category"
    raise ValidationFailed.field(
        "taxRate",
        f'the line has {source}, so its rate is "{rate}": tax rates come from tax categories (set '
        f'taxCategoryId on the line item group); send "{rate}" or omit taxRate',
    )


@router.post("/line-items", status_code=201, summary="Create a new Line Item")
async def create_line(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """``quantity × rate`` (quantity defaults to 1), taxed by the tax category that applies to it (its
    group's, else its product's, else the organization's default). ``taxRate`` is optional; when sent it
    must be that category's rate (a fraction: ``"0.2"`` for 20 %, ``"0"`` for an untaxed line): Billfold
    takes rates from tax categories and cannot tell from a bare rate which category (which country's
    rates, exclusive or inclusive) is meant, so any other rate is a 400 rather than a guess."""
    data = await read_json(request)
    body = parse(LineIn, data)
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
        try:
            line, invoice = await line_items.create_line(uow, actor, invoice_id, new)
        except Conflict as error:
            if error.code != "product_archived":
                raise
            details = {"title": error.details["name"]}  # the line's title is what named the product
            raise Conflict(error.message, code=error.code, details=details) from error
        record = line_record(line)
        _check_tax_rate(body.tax_rate, record)
        return 201, render.line(record, currency(invoice.currency))

    scope = f"line_item:{invoice_id}"
    return await create_once(request, actor, scope, None, data, work, flavour=FLAVOUR)


async def _lines(request: Request, actor: Actor, invoice_id: uuid.UUID) -> list[dict[str, Any]]:
    record = await read(request, lambda uow: invoice_records.load_invoice_record(uow, actor, invoice_id))
    return [render.line(row, record.currency) for row in record.lines]


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
        return render.line(line_record(row), currency(invoice.currency))

    return respond(200, await read(request, work))
