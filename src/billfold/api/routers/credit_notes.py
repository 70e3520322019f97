"""Credit notes of issued invoices, their voids, and the invoice's refunds and payment history."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from billfold.api import credit_note_render as cn_render
from billfold.api import render
from billfold.api.credit_note_schemas import CreditNoteIn
from billfold.api.schemas import ReasonIn
from billfold.db.uow import UnitOfWork
from billfold.services import credit_note_reads, credit_note_voids, credit_notes
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.web.body import JsonRoute
from billfold.web.plumbing import current_actor, idempotent_create, json_response, page_params, read, write

router = APIRouter(tags=["credit notes and refunds"], route_class=JsonRoute)


def new_credit_note(body: CreditNoteIn, key: str) -> credit_notes.NewCreditNote:
    return credit_notes.NewCreditNote(
        idempotency_key=key,
        reason=body.reason,
        memo=body.memo,
        issue_date=body.issue_date,
        lines=tuple(
            credit_notes.LineRequest(item.line_item_id, item.quantity, item.amount)
            for item in body.lines or ()
        ),
        amount=body.amount,
        tax_category_id=body.tax_category_id,
        refund_amount=body.refund_amount,
        credit_amount=body.credit_amount,
        out_of_band_amount=body.out_of_band_amount,
    )


@router.post("/v1/invoices/{invoice_id}/credit-notes", status_code=201)
async def create_credit_note(
    invoice_id: uuid.UUID, body: CreditNoteIn, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Credit an issued or paid invoice: lines (a quantity or net amount of each) or a plain net amount;
    settled as refund, customer credit, out of band, and the rest off the amount remaining."""

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        found = await credit_notes.create_credit_note(uow, actor, invoice_id, new_credit_note(body, key))
        return 201, cn_render.view(found)

    return await idempotent_create(request, actor, f"credit_note:{invoice_id}", body.idempotency_key, work)


@router.get("/v1/credit-notes/{credit_note_id}")
async def get_credit_note(
    credit_note_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    found = await read(request, lambda uow: credit_note_reads.load_credit_note(uow, actor, credit_note_id))
    return json_response(200, cn_render.view(found))


@router.get("/v1/credit-notes")
async def list_credit_notes(
    request: Request,
    limit: int = 20,
    after: str | None = None,
    invoice_id: uuid.UUID | None = Query(default=None, alias="invoiceId"),
    customer_id: uuid.UUID | None = Query(default=None, alias="customerId"),
    actor: Actor = Depends(current_actor),
) -> Response:
    """Credit notes, newest first; filter by ``invoiceId`` and ``customerId``."""
    size, cursor = page_params(limit, after)
    rows, more = await read(
        request,
        lambda uow: credit_note_reads.list_credit_notes(
            uow, actor, limit=size, after=cursor, invoice_id=invoice_id, customer_id=customer_id
        ),
    )
    return json_response(200, render.page([cn_render.credit_note(note, lines) for note, lines in rows], more))


@router.post("/v1/credit-notes/{credit_note_id}/void")
async def void_credit_note(
    credit_note_id: uuid.UUID,
    request: Request,
    body: ReasonIn | None = None,
    actor: Actor = Depends(current_actor),
) -> Response:
    """Void a credit note, undoing its reduction and its credit to the balance (a refund cannot be
    undone: 409 ``credit_note_refunded``)."""

    async def work(uow: UnitOfWork) -> Any:
        reason = body.reason if body else None
        return cn_render.view(await credit_note_voids.void_credit_note(uow, actor, credit_note_id, reason))

    return json_response(200, await write(request, work))


@router.get("/v1/invoices/{invoice_id}/refunds")
async def list_refunds(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    invoice, rows = await read(request, lambda uow: credit_note_reads.refunds_of(uow, actor, invoice_id))
    money = currency(invoice.currency)
    return json_response(200, render.page([cn_render.refund(row, money) for row in rows], False))


@router.get("/v1/invoices/{invoice_id}/payments")
async def list_payments(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """The invoice's payment history, oldest first: payments (``type: payment``) and refunds (``type:
    refund``, amounts positive: money paid back)."""
    invoice, paid, refunds = await read(
        request, lambda uow: credit_note_reads.payment_history(uow, actor, invoice_id)
    )
    money, today = currency(invoice.currency), actor.today()
    entries = [(row.created_at, row.id, render.payment(row, invoice, today)) for row in paid]
    entries += [(row.created_at, row.id, cn_render.refund(row, money)) for row in refunds]
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return json_response(200, render.page([entry[2] for entry in entries], False))
