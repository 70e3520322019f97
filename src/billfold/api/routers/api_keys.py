"""The caller's organization's API keys: list them, revoke one.

A key is shown once, when it is created (``billfold api-keys create``); these routes show only its id,
prefix, name and dates. A revoked key answers 401 from the moment the revocation is answered, in every
worker, since every request looks its key up in the database. Revoking the key in use is allowed (the
request that does it is the key's last).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.api import render
from billfold.db import models as m
from billfold.db.uow import UnitOfWork
from billfold.services import api_keys
from billfold.services.context import Actor
from billfold.web.body import JsonRoute
from billfold.web.plumbing import current_actor, json_response, page_params, read, write

router = APIRouter(prefix="/v1", tags=["api keys"], route_class=JsonRoute)


@router.get("/api-keys")
async def list_api_keys(
    request: Request, limit: int = 20, after: str | None = None, actor: Actor = Depends(current_actor)
) -> Response:
    """The organization's keys, revoked ones included, newest first."""
    size, cursor = page_params(limit, after)
    rows, more = await read(
        request, lambda uow: api_keys.list_api_keys(uow, actor.organization_id, limit=size, after=cursor)
    )
    return json_response(200, render.page([render.api_key(row) for row in rows], more))


@router.delete("/api-keys/{key_id}")
async def revoke_api_key(
    key_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Revoke a key (again: no change); answers the revoked key."""

    async def work(uow: UnitOfWork) -> m.ApiKey:
        return await api_keys.revoke_api_key(uow, actor, key_id)

    row = await write(request, work)
    return json_response(200, render.api_key(row))
