"""Line item groups and line items of an invoice."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.api import invoice_answers, render
from billfold.api.schemas import GroupIn, GroupPatch, LineFields, LineIn, LinePatch, UsageFields
from billfold.core.money import Currency
from billfold.db.uow import UnitOfWork
from billfold.services import groups, invoice_records, line_items
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.invoices import get_invoice_row
from billfold.services.prices import UsageInput
from billfold.web.plumbing import (
    CallerRoute,
    current_actor,
    idempotent_create_as_caller,
    idempotent_create_unlocked_as_caller,
    json_response,
    presented_caller,
    read,
    write,
)

# CallerRoute: adding a line checks the key in the write's first statement (see presented_caller)
router = APIRouter(prefix="/v1/invoices/{invoice_id}", tags=["line items"], route_class=CallerRoute)
USAGE_FIELDS = {"usage", "transactions", "usage_by_dimension", "intervals"}


def usage_input(body: UsageFields) -> UsageInput | None:
    """The usage a line reports, or ``None`` when it reports none."""
    if (
        body.usage is None
        and body.transactions is None
        and body.usage_by_dimension is None
        and not body.intervals
    ):
        return None
    return UsageInput(
        quantity=body.usage,
        transactions=tuple(body.transactions or ()),
        by_dimension=tuple((tuple(entry.values), entry.usage) for entry in body.usage_by_dimension or ()),
        intervals=tuple((i.start_date, i.end_date, i.quantity) for i in body.intervals or ()),
    )


# a line's own fields, read off the body as they are (a dump would copy each into a new dict first)
LINE_FIELDS = tuple(name for name in LineFields.model_fields if name not in USAGE_FIELDS)


def new_line(body: LineFields, line_item_group_id: uuid.UUID | None = None) -> line_items.NewLine:
    """A line's body as the service's input, in ``line_item_group_id`` (its idempotency key is set by
    the caller)."""
    fields = {name: getattr(body, name) for name in LINE_FIELDS}
    return line_items.NewLine(
        idempotency_key="", line_item_group_id=line_item_group_id, usage=usage_input(body), **fields
    )


async def _group_json(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, group_id: uuid.UUID) -> Any:
    record = await invoice_records.load_invoice_record(uow, actor, invoice_id)
    formats = invoice_answers.Formats(record.currency)
    for row in record.groups:
        if row.id == str(group_id):
            return invoice_answers.group(row, record.invoice.customer_id, formats)
    await groups.get_group(uow, actor, invoice_id, group_id)  # raises the 404
    return None


async def _line_json(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID) -> Any:
    """The line with the invoice's calculated figures (its shares of covering adjustments and taxes)."""
    line, invoice = await line_items.load_line(uow, actor, invoice_id, line_id)
    return render.line(line, currency(invoice.currency), invoice.customer_id)


async def _invoice_facts(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> tuple[Currency, uuid.UUID]:
    invoice = await get_invoice_row(uow, actor, invoice_id)
    return currency(invoice.currency), invoice.customer_id


# -- groups ------------------------------------------------------------------------------------


@router.post("/line-item-groups", status_code=201, dependencies=[Depends(presented_caller)])
async def create_group(invoice_id: uuid.UUID, body: GroupIn, request: Request) -> Response:
    async def work(uow: UnitOfWork, actor: Actor, key: str) -> tuple[int, Any]:
        new = groups.NewGroup(idempotency_key=key, **body.model_dump(exclude={"idempotency_key"}))
        row = await groups.create_group(uow, actor, invoice_id, new)
        return 201, await _group_json(uow, actor, invoice_id, row.id)

    scope = f"line_item_group:{invoice_id}"
    return await idempotent_create_as_caller(request, scope, body.idempotency_key, work)


@router.get("/line-item-groups")
async def list_groups(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    record = await read(request, lambda uow: invoice_records.load_invoice_record(uow, actor, invoice_id))
    formats = invoice_answers.Formats(record.currency)
    data = [invoice_answers.group(row, record.invoice.customer_id, formats) for row in record.groups]
    return json_response(200, render.page(data, False))


@router.get("/line-item-groups/{group_id}")
async def get_group(
    invoice_id: uuid.UUID, group_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    return json_response(200, await read(request, lambda uow: _group_json(uow, actor, invoice_id, group_id)))


@router.patch("/line-item-groups/{group_id}")
async def update_group(
    invoice_id: uuid.UUID,
    group_id: uuid.UUID,
    body: GroupPatch,
    request: Request,
    actor: Actor = Depends(current_actor),
) -> Response:
    async def work(uow: UnitOfWork) -> Any:
        await groups.update_group(uow, actor, invoice_id, group_id, body.model_dump(exclude_unset=True))
        return await _group_json(uow, actor, invoice_id, group_id)

    return json_response(200, await write(request, work))


@router.delete("/line-item-groups/{group_id}", status_code=204)
async def delete_group(
    invoice_id: uuid.UUID, group_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    await write(request, lambda uow: groups.delete_group(uow, actor, invoice_id, group_id))
    return Response(status_code=204)


# -- lines -------------------------------------------------------------------------------------


@router.post("/line-items", status_code=201, dependencies=[Depends(presented_caller)])
async def create_line(invoice_id: uuid.UUID, body: LineIn, request: Request) -> Response:
    # The usage and an inline price are validated before the transaction opens (they need nothing
    # stored), so a large one is parsed without holding the write lock.
    prepared = line_items.prepare(new_line(body, body.line_item_group_id))

    async def work(uow: UnitOfWork, actor: Actor, key: str, unlocked: bool) -> tuple[int, Any]:
        new = replace(prepared, idempotency_key=key)
        line, invoice = await line_items.create_line(
            uow, actor, invoice_id, new, hold_writes=True, unlocked=unlocked
        )
        if invoice.recalculate_all:  # the write recalculated every line anyway: answer the calculated line
            return 201, await _line_json(uow, actor, invoice_id, line.id)
        # Otherwise the line's own figures: with tax rounded per rate, the invoice's read may move its
        # tax share by a cent as other lines are added (the invoice's totals are always exact). The
        # database keeps the same answer for the invoice's reads, sent with the line's insert.
        answer = render.line(line, currency(invoice.currency), invoice.customer_id)
        line_items.keep_answer(uow, line, lambda: invoice_answers.kept_line(answer))
        return 201, answer

    scope = f"line_item:{invoice_id}"
    along = line_items.unlocked_read(invoice_id, prepared)
    return await idempotent_create_unlocked_as_caller(request, scope, body.idempotency_key, work, along)


@router.get("/line-items")
async def list_lines(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    record = await read(request, lambda uow: invoice_records.load_invoice_record(uow, actor, invoice_id))
    formats = invoice_answers.Formats(record.currency)
    data = [invoice_answers.line(row, record.invoice.customer_id, formats) for row in record.lines]
    return json_response(200, render.page(data, False))


@router.get("/line-items/{line_id}")
async def get_line(
    invoice_id: uuid.UUID, line_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    return json_response(200, await read(request, lambda uow: _line_json(uow, actor, invoice_id, line_id)))


@router.patch("/line-items/{line_id}")
async def update_line(
    invoice_id: uuid.UUID,
    line_id: uuid.UUID,
    body: LinePatch,
    request: Request,
    actor: Actor = Depends(current_actor),
) -> Response:
    changes = body.model_dump(exclude_unset=True, exclude=USAGE_FIELDS)
    usage = line_items.prepare_usage(usage_input(body))  # validated here, before the transaction opens
    if usage is not None:
        changes["usage"] = usage

    async def work(uow: UnitOfWork) -> Any:
        await line_items.update_line(uow, actor, invoice_id, line_id, changes)
        return await _line_json(uow, actor, invoice_id, line_id)

    return json_response(200, await write(request, work))


@router.delete("/line-items/{line_id}", status_code=204)
async def delete_line(
    invoice_id: uuid.UUID, line_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    await write(request, lambda uow: line_items.delete_line(uow, actor, invoice_id, line_id))
    return Response(status_code=204)
