"""Orb's ``POST /invoice_line_items`` (seed 002) and the invoice it adds to, thin over the services.

The invoice must be a draft: a locked invoice is a 409 in Orb's error shape. An id that is not one of
Billfold's (UUIDs) names nothing, so it is a 404 like any unknown id. Creates are idempotent on an
``Idempotency-Key`` header, in the native API's scopes.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.db.uow import UnitOfWork
from billfold.dialects.common import create_once, parse, read_json, respond, tax_category_names
from billfold.dialects.orb import render
from billfold.dialects.orb.schemas import LineIn
from billfold.services import invoice_records, line_items, parties, products
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.errors import Conflict, NotFound
from billfold.services.invoice_records import line_record
from billfold.web.plumbing import current_actor, read

router = APIRouter(tags=["Orb"])
FLAVOUR = "orb"


def _orb_id(value: str, kind: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise NotFound(
            f"could not find a resource of type {kind} with identifier: {value}", details={field: value}
        ) from error


def _in_orb_terms(error: Conflict) -> Conflict:
    """An archived item named by ``item_id`` or ``name`` is refused in Orb's words and fields."""
    if error.code != "product_archived":
        return error
    field = "item_id" if "productId" in error.details else "name"
    reason = "the item is archived and cannot be used on new line items"
    return Conflict(f"{field}: {reason}", code=error.code, details={field: reason})


@router.post("/invoice_line_items", status_code=201, summary="Create invoice line item")
async def create_line(request: Request, actor: Actor = Depends(current_actor)) -> Response:
    data = await read_json(request)
    body = parse(LineIn, data)
    invoice_id = _orb_id(body.invoice_id, "Invoice", "invoice_id")
    item_id = None if body.item_id is None else _orb_id(body.item_id, "Item", "item_id")

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        new = line_items.NewLine(
            idempotency_key=key,
            name=body.name,
            product_id=item_id,
            start_date=body.start_date,
            end_date=body.end_date,
            quantity=body.quantity,
            amount=body.amount,
        )
        try:
            line, invoice = await line_items.create_line(uow, actor, invoice_id, new)
        except Conflict as error:
            raise _in_orb_terms(error) from error
        item = await products.get_product(uow, actor, line.product_id)
        record = line_record(line)
        tax_names = await tax_category_names(
            uow, actor, [None if record.tax is None else record.tax.category_id]
        )
        return 201, render.line(record, currency(invoice.currency), item.name, tax_names)

    scope = f"line_item:{invoice_id}"
    return await create_once(request, actor, scope, None, data, work, flavour=FLAVOUR)


@router.get("/invoices/{invoice_id}", summary="Fetch invoice")
async def get_invoice(invoice_id: str, request: Request, actor: Actor = Depends(current_actor)) -> Response:
    key = _orb_id(invoice_id, "Invoice", "invoice_id")

    async def work(uow: UnitOfWork) -> Any:
        record = await invoice_records.load_invoice_record(uow, actor, key)
        customer = await parties.get_customer(uow, actor, uuid.UUID(record.invoice.customer_id))
        names = {}
        for product_id in {line.product_id for line in record.lines}:
            names[product_id] = (await products.get_product(uow, actor, uuid.UUID(product_id))).name
        taxed = (line.tax.category_id for line in record.lines if line.tax is not None)
        tax_names = await tax_category_names(uow, actor, taxed)
        return render.invoice(record, customer, names, tax_names)

    return respond(200, await read(request, work))
