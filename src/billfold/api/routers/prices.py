"""Catalog prices: a product, a currency and a price model with its fields."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from billfold.api import render
from billfold.api.schemas import PriceIn
from billfold.db.uow import UnitOfWork
from billfold.services import catalog_lists, prices
from billfold.services.context import Actor
from billfold.web.body import JsonRoute
from billfold.web.plumbing import current_actor, idempotent_create, json_response, page_params, read, write

router = APIRouter(prefix="/v1", tags=["prices"], route_class=JsonRoute)


@router.post("/prices", status_code=201)
async def create_price(body: PriceIn, request: Request, actor: Actor = Depends(current_actor)) -> Response:
    """Models: unit, fixed, package, graduated, volume, percentage, basis_points, matrix, tiered_package."""
    # Validated before the transaction opens: a large price is parsed without holding the write lock.
    checked = prices.check_price(body.currency, body.model, dict(body.model_extra or {}))

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        row = await prices.create_price(
            uow, actor, product_id=body.product_id, checked=checked, idempotency_key=key
        )
        return 201, render.price(row)

    return await idempotent_create(request, actor, "price", body.idempotency_key, work)


@router.get("/prices")
async def list_prices(
    request: Request,
    limit: int = 20,
    after: str | None = None,
    product_id: uuid.UUID | None = Query(default=None, alias="productId"),
    archived: bool = False,
    actor: Actor = Depends(current_actor),
) -> Response:
    """Active prices, newest first (of one product with ``productId``); ``?archived=true`` lists the
    archived ones instead."""
    size, cursor = page_params(limit, after)
    rows, more = await read(
        request, lambda uow: catalog_lists.prices(uow, actor, size, cursor, product_id, archived)
    )
    return json_response(200, render.page([render.price(row) for row in rows], more))


@router.get("/prices/{price_id}")
async def get_price(price_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)) -> Response:
    row = await read(request, lambda uow: prices.get_price(uow, actor, price_id))
    return json_response(200, render.price(row))


@router.post("/prices/{price_id}/archive")
async def archive_price(
    price_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Archive: new lines may no longer use the price (409 ``price_archived``); lines already priced
    with it keep their snapshot. Archiving an archived price changes nothing."""
    row = await write(request, lambda uow: prices.set_price_archived(uow, actor, price_id, archived=True))
    return json_response(200, render.price(row))


@router.post("/prices/{price_id}/unarchive")
async def unarchive_price(
    price_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    row = await write(request, lambda uow: prices.set_price_archived(uow, actor, price_id, archived=False))
    return json_response(200, render.price(row))
