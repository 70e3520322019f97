"""The product catalog."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.api import render
from billfold.api.schemas import ProductIn
from billfold.db.uow import UnitOfWork
from billfold.services import catalog_lists, products
from billfold.services.context import Actor
from billfold.web.body import JsonRoute
from billfold.web.plumbing import current_actor, idempotent_create, json_response, page_params, read, write

router = APIRouter(prefix="/v1", tags=["products"], route_class=JsonRoute)


@router.post("/products", status_code=201)
async def create_product(
    body: ProductIn, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        row = await products.create_product(
            uow,
            actor,
            name=body.name,
            idempotency_key=key,
            description=body.description,
            default_unit_price=body.default_unit_price,
            tax_category=body.tax_category,
            tax_category_id=body.tax_category_id,
        )
        return 201, render.product(row)

    return await idempotent_create(request, actor, "product", body.idempotency_key, work)


@router.get("/products")
async def list_products(
    request: Request,
    limit: int = 20,
    after: str | None = None,
    archived: bool = False,
    actor: Actor = Depends(current_actor),
) -> Response:
    """Active products, newest first; ``?archived=true`` lists the archived ones instead."""
    size, cursor = page_params(limit, after)

    rows, more = await read(request, lambda uow: catalog_lists.products(uow, actor, size, cursor, archived))
    return json_response(200, render.page([render.product(row) for row in rows], more))


@router.get("/products/{product_id}")
async def get_product(
    product_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    row = await read(request, lambda uow: products.get_product(uow, actor, product_id, field="id"))
    return json_response(200, render.product(row))


@router.post("/products/{product_id}/archive")
async def archive_product(
    product_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Archive: new lines and groups may no longer use the product (409 ``product_archived``); lines
    that already name it keep it. Archiving an archived product changes nothing."""
    row = await write(
        request, lambda uow: products.set_product_archived(uow, actor, product_id, archived=True)
    )
    return json_response(200, render.product(row))


@router.post("/products/{product_id}/unarchive")
async def unarchive_product(
    product_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    row = await write(
        request, lambda uow: products.set_product_archived(uow, actor, product_id, archived=False)
    )
    return json_response(200, render.product(row))
