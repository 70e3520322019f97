"""Tax categories and their rates."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.api import render
from billfold.api.schemas import TaxCategoryIn
from billfold.db.uow import UnitOfWork
from billfold.services import catalog_lists, tax_categories
from billfold.services.context import Actor
from billfold.web.body import JsonRoute
from billfold.web.plumbing import current_actor, idempotent_create, json_response, page_params, read

router = APIRouter(prefix="/v1", tags=["taxes"], route_class=JsonRoute)


@router.post("/tax-categories", status_code=201)
async def create_tax_category(
    body: TaxCategoryIn, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Rates are percents (`"20"`), each for one `country` or, without one, for every other country,
    with their EN 16931 `vatCategory` (default S above 0, Z for 0) and exemption reason."""

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        rates = [
            tax_categories.NewTaxRate(
                rate=rate.rate,
                inclusive=rate.inclusive,
                country=rate.country,
                vat_category=rate.vat_category,
                exemption_reason=rate.exemption_reason,
                exemption_reason_code=rate.exemption_reason_code,
            )
            for rate in body.rates
        ]
        row = await tax_categories.create_tax_category(
            uow, actor, name=body.name, rates=rates, idempotency_key=key
        )
        return 201, render.tax_category(row)

    return await idempotent_create(request, actor, "tax_category", body.idempotency_key, work)


@router.get("/tax-categories")
async def list_tax_categories(
    request: Request, limit: int = 20, after: str | None = None, actor: Actor = Depends(current_actor)
) -> Response:
    size, cursor = page_params(limit, after)

    rows, more = await read(request, lambda uow: catalog_lists.tax_categories(uow, actor, size, cursor))
    return json_response(200, render.page([render.tax_category(row) for row in rows], more))


@router.get("/tax-categories/{tax_category_id}")
async def get_tax_category(
    tax_category_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    row = await read(request, lambda uow: tax_categories.get_tax_category(uow, actor, tax_category_id))
    return json_response(200, render.tax_category(row))
