"""Alguna's ``POST /invoices/{id}/line-items`` (seed 004), which answers the whole invoice, and the
invoice itself. Creates are idempotent on an ``Idempotency-Key`` header, in the native API's scopes."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.db.uow import UnitOfWork
from billfold.dialects.alguna import render
from billfold.dialects.alguna.schemas import LineIn
from billfold.dialects.common import create_once, parse, read_json, respond
from billfold.services import invoice_records, line_items
from billfold.services.context import Actor
from billfold.web.plumbing import current_actor, read

router = APIRouter(prefix="/invoices/{invoice_id}", tags=["Alguna"])
FLAVOUR = "alguna"


@router.post("/line-items", summary="Create Invoice Line Item")
async def create_line(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    data = await read_json(request)
    body = parse(LineIn, data)

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        new = line_items.NewLine(
            idempotency_key=key, name=body.description, quantity=body.quantity, unit_price=body.unit_price
        )
        await line_items.create_line(uow, actor, invoice_id, new)
        return 200, render.invoice(await invoice_records.load_invoice_record(uow, actor, invoice_id))

    scope = f"line_item:{invoice_id}"
    return await create_once(request, actor, scope, None, data, work, flavour=FLAVOUR)


@router.get("", summary="Get Invoice")
async def get_invoice(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    record = await read(request, lambda uow: invoice_records.load_invoice_record(uow, actor, invoice_id))
    return respond(200, render.invoice(record))
