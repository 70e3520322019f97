"""Aira's invoice endpoints (seeds 000 and 003), thin over Billfold's services.

Creates answer 200 (as Aira does) and are idempotent on the body's required ``idempotencyKey``, in the
same scopes as the native API, so a key is shared by every shape of the API.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.db import models as m
from billfold.db.uow import UnitOfWork
from billfold.dialects.aira import render
from billfold.dialects.aira.schemas import GroupIn, InvoiceIn, LineIn
from billfold.dialects.common import create_once, parse, read_json, respond
from billfold.documents.records import InvoiceRecord
from billfold.services import groups, invoice_records, invoices, line_items, parties
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.errors import NotFound
from billfold.services.invoice_records import line_record, record_of
from billfold.web.plumbing import current_actor, read

router = APIRouter(prefix="/v1", tags=["Aira"])
FLAVOUR = "aira"


async def _invoice_json(uow: UnitOfWork, actor: Actor, record: InvoiceRecord) -> Any:
    fields = record.invoice
    issuing = await parties.get_issuing_account(uow, actor, uuid.UUID(fields.issuing_account_id))
    billing_id = uuid.UUID(fields.payment_account_id)
    billing = await uow.repo.get(m.PaymentAccount, actor.organization_id, billing_id)
    if billing is None:
        raise NotFound.resource("payment account", billing_id)
    return render.invoice(record, issuing, billing)


async def _group_json(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, group_id: uuid.UUID) -> Any:
    record = await invoice_records.load_invoice_record(uow, actor, invoice_id)
    for row in record.groups:
        if row.id == str(group_id):
            customer_id, minimum = record.invoice.customer_id, record.invoice.minimum_amount
            return render.group(row, record.currency, customer_id, minimum)
    await groups.get_group(uow, actor, invoice_id, group_id)  # raises the 404
    return None


async def _line_json(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID, line_id: uuid.UUID) -> Any:
    line = await line_items.get_line(uow, actor, invoice_id, line_id)
    invoice = await invoices.get_invoice_row(uow, actor, invoice_id)
    money = currency(invoice.currency)
    return render.line(line_record(line), money, invoice.customer_id, invoice.minimum_amount)


# -- invoices ------------------------------------------------------------------------------------


@router.post("/invoices", summary="Create a one-off invoice")
@router.post("/invoices/", include_in_schema=False)
async def create_invoice(request: Request, actor: Actor = Depends(current_actor)) -> Response:
    data = await read_json(request)
    body = parse(InvoiceIn, data)

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        new = invoices.NewInvoice(
            idempotency_key=key,
            customer_id=body.customer_id,
            external_customer_id=body.external_customer_id,
            payment_account_id=body.payment_account_id,
            invoice_date=body.invoice_date,
            memo=body.memo,
        )
        view = await invoices.create_invoice(uow, actor, new)
        return 200, await _invoice_json(uow, actor, record_of(view))

    return await create_once(request, actor, "invoice", body.idempotency_key, data, work, flavour=FLAVOUR)


@router.get("/invoices/{invoice_id}", summary="Get an invoice with its groups and line items")
async def get_invoice(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    async def work(uow: UnitOfWork) -> Any:
        record = await invoice_records.load_invoice_record(uow, actor, invoice_id)
        return await _invoice_json(uow, actor, record)

    return respond(200, await read(request, work))


# -- groups --------------------------------------------------------------------------------------


@router.post("/invoices/{invoice_id}/line-item-groups", summary="Create an invoice line item group")
async def create_group(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    data = await read_json(request)
    body = parse(GroupIn, data)

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        new = groups.NewGroup(
            idempotency_key=key,
            product_id=body.product_id,
            name=body.name,
            start_date=body.start_date,
            end_date=body.end_date,
        )
        row = await groups.create_group(uow, actor, invoice_id, new)
        return 200, await _group_json(uow, actor, invoice_id, row.id)

    scope = f"line_item_group:{invoice_id}"
    return await create_once(request, actor, scope, body.idempotency_key, data, work, flavour=FLAVOUR)


@router.get("/invoices/{invoice_id}/line-item-groups/{group_id}", summary="Get a line item group")
async def get_group(
    invoice_id: uuid.UUID,
    group_id: uuid.UUID,
    request: Request,
    actor: Actor = Depends(current_actor),
) -> Response:
    return respond(200, await read(request, lambda uow: _group_json(uow, actor, invoice_id, group_id)))


# -- line items ----------------------------------------------------------------------------------


@router.post("/invoices/{invoice_id}/line-items", summary="Create an invoice line item")
async def create_line(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    data = await read_json(request)
    body = parse(LineIn, data)

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        new = line_items.NewLine(
            idempotency_key=key,
            name=body.name,
            product_id=body.product_id,
            line_item_group_id=body.line_item_group_id,
            start_date=body.start_date,
            end_date=body.end_date,
            quantity=body.quantity,
            unit_price=body.unit_price,
            amount=body.amount,
        )
        line, invoice = await line_items.create_line(uow, actor, invoice_id, new)
        money = currency(invoice.currency)
        return 200, render.line(line_record(line), money, invoice.customer_id, invoice.minimum_amount)

    scope = f"line_item:{invoice_id}"
    return await create_once(request, actor, scope, body.idempotency_key, data, work, flavour=FLAVOUR)


@router.get("/invoices/{invoice_id}/line-items/{line_id}", summary="Get a line item")
async def get_line(
    invoice_id: uuid.UUID,
    line_id: uuid.UUID,
    request: Request,
    actor: Actor = Depends(current_actor),
) -> Response:
    return respond(200, await read(request, lambda uow: _line_json(uow, actor, invoice_id, line_id)))
