"""The caller's organization and its settings: rounding, tax rounding, default tax category, time zone."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.api import render
from billfold.api.schemas import OrganizationPatch
from billfold.db import models as m
from billfold.db.uow import UnitOfWork
from billfold.services import organizations
from billfold.services.context import Actor
from billfold.web.body import JsonRoute
from billfold.web.plumbing import current_actor, json_response, read, write

router = APIRouter(prefix="/v1", tags=["organization"], route_class=JsonRoute)


@router.get("/organization")
async def get_organization(request: Request, actor: Actor = Depends(current_actor)) -> Response:
    row = await read(request, lambda uow: organizations.get_organization(uow, actor))
    return json_response(200, render.organization(row))


@router.patch("/organization")
async def update_organization(
    body: OrganizationPatch, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Settings apply from the moment this answers: every line written afterwards, through any worker,
    follows them (they are read from the database inside each write); issued invoices never change."""
    change = organizations.SettingsChange(
        name=body.name,
        rounding_mode=body.rounding_mode,
        tax_rounding=body.tax_rounding,
        set_default_tax_category="default_tax_category_id" in body.model_fields_set,
        default_tax_category_id=body.default_tax_category_id,
        time_zone=body.time_zone,
        locale=body.locale,
    )

    async def work(uow: UnitOfWork) -> m.Organization:
        return await organizations.update_settings(uow, actor, change)

    row = await write(request, work)
    return json_response(200, render.organization(row))
