"""Adjustments on the invoice, a group or a line."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.api import render
from billfold.api.schemas import AdjustmentIn
from billfold.db.uow import UnitOfWork
from billfold.services import adjustments, invoices
from billfold.services.adjustments import NewAdjustment
from billfold.services.context import Actor
from billfold.web.body import JsonRoute
from billfold.web.plumbing import current_actor, idempotent_create, json_response, write

router = APIRouter(prefix="/v1/invoices/{invoice_id}", tags=["adjustments"], route_class=JsonRoute)


def _new(body: AdjustmentIn) -> NewAdjustment:
    applies = body.applies_to
    return NewAdjustment(
        type=body.type,
        amount=body.amount,
        percentage=body.percentage,
        quantity=body.quantity,
        product_ids=tuple(applies.product_ids) if applies else (),
        price_ids=tuple(applies.price_ids) if applies else (),
        reason=body.reason,
    )


async def _invoice(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> Any:
    return render.invoice(await invoices.load_invoice(uow, actor, invoice_id))


async def _group(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, group_id: uuid.UUID) -> Any:
    view = await invoices.load_invoice(uow, actor, invoice_id)
    row = next(g for g in view.groups if g.id == group_id)
    return render.group(row, view.currency, view.invoice.customer_id, view.lines_of(row.id))


async def _line(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID) -> Any:
    view = await invoices.load_invoice(uow, actor, invoice_id)
    row = next(item for item in view.lines if item.id == line_id)
    return render.line(row, view.currency, view.invoice.customer_id)


@router.post("/adjustments", status_code=201)
async def add_invoice_adjustment(
    invoice_id: uuid.UUID, body: AdjustmentIn, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """An adjustment covering the whole invoice (optionally limited by ``appliesTo``); answers the invoice."""

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        await adjustments.add_to_invoice(uow, actor, invoice_id, _new(body))
        return 201, await _invoice(uow, actor, invoice_id)

    return await idempotent_create(request, actor, f"adjustment:{invoice_id}", body.idempotency_key, work)


@router.delete("/adjustments/{adjustment_id}")
async def remove_invoice_adjustment(
    invoice_id: uuid.UUID, adjustment_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    async def work(uow: UnitOfWork) -> Any:
        await adjustments.remove_from_invoice(uow, actor, invoice_id, adjustment_id)
        return await _invoice(uow, actor, invoice_id)

    return json_response(200, await write(request, work))


@router.post("/line-item-groups/{group_id}/adjustments", status_code=201)
async def add_group_adjustment(
    invoice_id: uuid.UUID,
    group_id: uuid.UUID,
    body: AdjustmentIn,
    request: Request,
    actor: Actor = Depends(current_actor),
) -> Response:
    """An adjustment covering a group's lines; answers the group."""

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        await adjustments.add_to_group(uow, actor, invoice_id, group_id, _new(body))
        return 201, await _group(uow, actor, invoice_id, group_id)

    return await idempotent_create(request, actor, f"adjustment:{invoice_id}", body.idempotency_key, work)


@router.delete("/line-item-groups/{group_id}/adjustments/{adjustment_id}")
async def remove_group_adjustment(
    invoice_id: uuid.UUID,
    group_id: uuid.UUID,
    adjustment_id: uuid.UUID,
    request: Request,
    actor: Actor = Depends(current_actor),
) -> Response:
    async def work(uow: UnitOfWork) -> Any:
        await adjustments.remove_from_group(uow, actor, invoice_id, group_id, adjustment_id)
        return await _group(uow, actor, invoice_id, group_id)

    return json_response(200, await write(request, work))


@router.post("/line-items/{line_id}/adjustments", status_code=201)
async def add_line_adjustment(
    invoice_id: uuid.UUID,
    line_id: uuid.UUID,
    body: AdjustmentIn,
    request: Request,
    actor: Actor = Depends(current_actor),
) -> Response:
    """An adjustment of one line; answers the line."""

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        await adjustments.add_to_line(uow, actor, invoice_id, line_id, _new(body))
        return 201, await _line(uow, actor, invoice_id, line_id)

    return await idempotent_create(request, actor, f"adjustment:{invoice_id}", body.idempotency_key, work)


@router.delete("/line-items/{line_id}/adjustments/{adjustment_id}")
async def remove_line_adjustment(
    invoice_id: uuid.UUID,
    line_id: uuid.UUID,
    adjustment_id: uuid.UUID,
    request: Request,
    actor: Actor = Depends(current_actor),
) -> Response:
    async def work(uow: UnitOfWork) -> Any:
        await adjustments.remove_from_line(uow, actor, invoice_id, line_id, adjustment_id)
        return await _line(uow, actor, invoice_id, line_id)

    return json_response(200, await write(request, work))
