"""A customer's prepaid credit: grants, and the ledger with its balances."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.api import render
from billfold.api.schemas import CreditGrantIn
from billfold.db.uow import UnitOfWork
from billfold.services import credits
from billfold.services.context import Actor
from billfold.web.body import JsonRoute
from billfold.web.plumbing import current_actor, idempotent_create, json_response, page_params, read

router = APIRouter(prefix="/v1", tags=["credits"], route_class=JsonRoute)


@router.post("/customers/{customer_id}/credits", status_code=201)
async def grant_credit(
    customer_id: uuid.UUID, body: CreditGrantIn, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Credit is applied to the customer's invoices in its currency at issue, after tax."""

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        new = credits.NewCreditGrant(
            amount=body.amount, currency=body.currency, expires_on=body.expires_on, reason=body.reason
        )
        return 201, render.credit_entry(await credits.grant_credit(uow, actor, customer_id, new))

    scope = f"credit_grant:{customer_id}"
    return await idempotent_create(request, actor, scope, body.idempotency_key, work)


@router.get("/customers/{customer_id}/credits")
async def credit_ledger(
    customer_id: uuid.UUID,
    request: Request,
    limit: int = 20,
    after: str | None = None,
    actor: Actor = Depends(current_actor),
) -> Response:
    """The customer's ledger entries, newest first (paged), and its balance in each currency."""
    size, cursor = page_params(limit, after)
    view = await read(request, lambda uow: credits.ledger(uow, actor, customer_id, limit=size, after=cursor))
    return json_response(200, render.credit_ledger(view))
