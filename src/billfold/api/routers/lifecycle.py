"""Invoice transitions, the event log and payments."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.api import render
from billfold.api.schemas import IssueIn, PaymentIn, ReasonIn
from billfold.db.uow import UnitOfWork
from billfold.services import invoices, lifecycle, payments
from billfold.services.context import Actor
from billfold.web.plumbing import (
    CallerRoute,
    current_actor,
    idempotent_create_as_caller,
    json_response,
    presented_caller,
    read,
    write_as_caller,
    write_unlocked_as_caller,
)

# CallerRoute: issuing checks the key in its transaction's first statement (see presented_caller)
router = APIRouter(
    prefix="/v1/invoices/{invoice_id}", tags=["lifecycle and payments"], route_class=CallerRoute
)


async def _invoice_json(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> Any:
    return render.invoice(await invoices.load_invoice(uow, actor, invoice_id))


@router.post("/issue", dependencies=[Depends(presented_caller)])
async def issue_invoice(invoice_id: uuid.UUID, request: Request, body: IssueIn | None = None) -> Response:
    """Assign the next legal number, set the issue and due dates and lock the invoice."""

    async def work(uow: UnitOfWork, actor: Actor, unlocked: bool) -> tuple[Any, lifecycle.Issued]:
        # The answer is rendered before the commit, which draws the number (the counter's lock is held
        # for that last statement and the commit only); the number goes into the answer after. The
        # invoice is the one just issued, in memory: only its groups and lines are read for it.
        day = body.issue_date if body else None
        issued = await lifecycle.issue(uow, actor, invoice_id, day, unlocked=unlocked)
        view = await invoices.just_issued_view(uow, actor, issued.invoice, issued.lines)
        return render.invoice(view), issued

    answer, issued = await write_unlocked_as_caller(request, work, lifecycle.unlocked_read(invoice_id))
    return json_response(200, issued.numbered(answer))


def _transition_route(target: str, summary: str) -> Any:
    async def route(invoice_id: uuid.UUID, request: Request, body: ReasonIn | None = None) -> Response:
        async def work(uow: UnitOfWork, actor: Actor) -> Any:
            await lifecycle.transition(uow, actor, invoice_id, target, body.reason if body else None)
            return await _invoice_json(uow, actor, invoice_id)

        return json_response(200, await write_as_caller(request, work))

    route.__doc__ = summary
    route.__name__ = f"{target}_invoice"
    return route


for path, status, text in (
    ("/review", "in_review", "Lock a draft for review (reopen it to edit again)."),
    ("/reopen", "draft", "Return an invoice in review to draft."),
    ("/cancel", "canceled", "Cancel a draft; it never gets a number."),
    ("/void", "void", "Void an issued invoice (it keeps its number); a reason is required."),
):
    router.add_api_route(
        path,
        _transition_route(status, text),
        methods=["POST"],
        summary=text,
        dependencies=[Depends(presented_caller)],
    )


@router.get("/events")
async def invoice_events(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    rows = await read(request, lambda uow: lifecycle.events(uow, actor, invoice_id))
    return json_response(200, render.page([render.event(row) for row in rows], False))


@router.post("/payments", status_code=201, dependencies=[Depends(presented_caller)])
async def record_payment(invoice_id: uuid.UUID, body: PaymentIn, request: Request) -> Response:
    async def work(uow: UnitOfWork, actor: Actor, key: str) -> tuple[int, Any]:
        new = payments.NewPayment(
            amount=body.amount,
            idempotency_key=key,
            payment_date=body.date,
            method=body.method,
            reference=body.reference,
            keep_excess_as_credit=body.keep_excess_as_credit,
        )
        payment, invoice = await payments.record_payment(uow, actor, invoice_id, new)
        return 201, render.payment(payment, invoice, actor.today())

    scope = f"payment:{invoice_id}"
    return await idempotent_create_as_caller(request, scope, body.idempotency_key, work)


# GET /payments (the payment history, with refunds) is served by routers/credit_notes.py
