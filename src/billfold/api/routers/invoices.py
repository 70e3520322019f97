"""One-off invoices."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from billfold.api import invoice_answers, render
from billfold.api.routers.lines import new_line
from billfold.api.schemas import InvoiceIn, InvoicePatch, LineItems, MinimumIn
from billfold.db.uow import UnitOfWork
from billfold.services import bulk, invoice_edits, invoice_records, invoices, minimums
from billfold.services import groups as groups_service
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.line_pricing import NewLine
from billfold.web.body import JsonRoute
from billfold.web.plumbing import current_actor, idempotent_create, json_response, page_params, read, write

router = APIRouter(prefix="/v1", tags=["invoices"], route_class=JsonRoute)

Status = Literal["draft", "in_review", "issued", "overdue", "paid", "canceled", "void"]


@router.post("/invoices", status_code=201)
async def create_invoice(
    body: InvoiceIn, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """A draft invoice; with ``lineItemGroups`` (each with its ``lineItems``) and ``lineItems``, its
    groups and lines too, all or nothing (at most 10,000 lines). Answers the invoice as ``GET`` does."""
    # The lines' work that needs nothing stored is done before the transaction opens.
    group_content, standalone = body.content()
    groups, lines = bulk.prepare_all(
        [
            bulk.NewBulkGroup(
                groups_service.NewGroup(idempotency_key="", **g.model_dump(exclude={"line_items"})),
                _new_lines(items),
            )
            for g, items in group_content
        ],
        _new_lines(standalone),
    )

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        fields = body.model_dump(exclude={"idempotency_key", "line_item_groups", "line_items"})
        new = invoices.NewInvoice(idempotency_key=key, **fields)
        record = await bulk.create_invoice_with_lines(
            uow, actor, new, groups, lines, invoice_answers.kept_lines
        )
        return 201, invoice_answers.invoice(record)

    return await idempotent_create(request, actor, "invoice", body.idempotency_key, work)


def _new_lines(items: LineItems) -> list[NewLine]:
    return [item if isinstance(item, NewLine) else new_line(item) for item in items]


@router.get("/invoices")
async def list_invoices(
    request: Request,
    limit: int = 20,
    after: str | None = None,
    customer_id: uuid.UUID | None = Query(default=None, alias="customerId"),
    status: Status | None = None,
    actor: Actor = Depends(current_actor),
) -> Response:
    """Invoice summaries (amounts, no lines), newest first; filter by ``customerId`` and ``status``."""
    size, cursor = page_params(limit, after)
    rows, more = await read(
        request,
        lambda uow: invoices.list_invoices(
            uow, actor, limit=size, after=cursor, customer_id=customer_id, status=status
        ),
    )
    today = actor.today()
    data = [render.invoice_summary(row, currency(row.currency), today) for row in rows]
    return json_response(200, render.page(data, more))


@router.get("/invoices/{invoice_id}")
async def get_invoice(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    record = await read(
        request, lambda uow: invoice_records.load_invoice_record(uow, actor, invoice_id, native=True)
    )
    return json_response(200, invoice_answers.invoice(record))


@router.patch("/invoices/{invoice_id}")
async def update_invoice(
    invoice_id: uuid.UUID, body: InvoicePatch, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Edit a draft: memo, invoiceDate, periodStart/periodEnd (groups and lines on the old period follow
    it), paymentTermsDays, paymentAccountId, issuingAccountId, autoIssue, buyerReference, purchaseOrder,
    deliveryDate, deliveryCountry. Any other status: 409
    ``invoice_locked``. Answers the invoice as ``GET`` does."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    view = await write(request, lambda uow: invoice_edits.update_invoice(uow, actor, invoice_id, changes))
    return json_response(200, render.invoice(view))


@router.put("/invoices/{invoice_id}/minimum")
async def set_minimum(
    invoice_id: uuid.UUID, body: MinimumIn, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Set the invoice's plan or contract minimum; a line of that scope carries the shortfall."""

    async def work(uow: UnitOfWork) -> Any:
        await minimums.set_minimum(uow, actor, invoice_id, body.amount, body.scope, body.name)
        return render.invoice(await invoices.load_invoice(uow, actor, invoice_id))

    return json_response(200, await write(request, work))


@router.delete("/invoices/{invoice_id}/minimum")
async def remove_minimum(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    async def work(uow: UnitOfWork) -> Any:
        await minimums.remove_minimum(uow, actor, invoice_id)
        return render.invoice(await invoices.load_invoice(uow, actor, invoice_id))

    return json_response(200, await write(request, work))
