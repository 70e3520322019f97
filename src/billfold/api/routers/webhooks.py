"""Webhook endpoints (``/v1/webhook-endpoints``) and the event log (``/v1/events``)."""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.api import render, webhook_render
from billfold.api.webhook_schemas import EmptyIn, ReplayIn, ResendIn, WebhookEndpointIn, WebhookEndpointPatch
from billfold.config import WebhookSettings
from billfold.db.uow import UnitOfWork
from billfold.services import webhooks
from billfold.services.context import Actor
from billfold.services.errors import ValidationFailed
from billfold.web.body import JsonRoute
from billfold.web.plumbing import current_actor, json_response, page_params, read, write

router = APIRouter(prefix="/v1", tags=["webhooks and events"], route_class=JsonRoute)


def _policy(request: Request) -> webhooks.UrlPolicy:
    settings: WebhookSettings = request.app.state.webhook_settings
    return webhooks.UrlPolicy(settings.allow_private, getattr(request.app.state, "webhook_resolver", None))


def _changes(body: WebhookEndpointIn | WebhookEndpointPatch) -> webhooks.EndpointChanges:
    return webhooks.EndpointChanges(
        url=body.url,
        enabled_events=body.enabled_events,
        description=body.description,
        disabled=body.disabled,
        given=frozenset(body.model_fields_set),
    )


@router.post("/webhook-endpoints", status_code=201)
async def create_endpoint(
    body: WebhookEndpointIn, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Register an endpoint; the answer carries its signing ``secret``, shown this once.

    Not idempotent by key: replaying the answer would mean storing the secret a second time."""
    policy = _policy(request)

    async def work(uow: UnitOfWork) -> Any:
        row, secret = await webhooks.create_endpoint(uow, actor, _changes(body), policy)
        return webhook_render.endpoint(row, secret)

    return json_response(201, await write(request, work))


@router.get("/webhook-endpoints")
async def list_endpoints(
    request: Request, limit: int = 20, after: str | None = None, actor: Actor = Depends(current_actor)
) -> Response:
    size, cursor = page_params(limit, after)
    rows, more = await read(
        request, lambda uow: webhooks.list_endpoints(uow, actor, limit=size, after=cursor)
    )
    return json_response(200, render.page([webhook_render.endpoint(row) for row in rows], more))


@router.get("/webhook-endpoints/{endpoint_id}")
async def get_endpoint(
    endpoint_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    row = await read(request, lambda uow: webhooks.get_endpoint(uow, actor, endpoint_id))
    return json_response(200, webhook_render.endpoint(row))


@router.patch("/webhook-endpoints/{endpoint_id}")
async def update_endpoint(
    endpoint_id: uuid.UUID,
    body: WebhookEndpointPatch,
    request: Request,
    actor: Actor = Depends(current_actor),
) -> Response:
    """Change the URL, events or description; ``disabled: false`` re-enables (without replaying)."""
    policy = _policy(request)

    async def work(uow: UnitOfWork) -> Any:
        return webhook_render.endpoint(
            await webhooks.update_endpoint(uow, actor, endpoint_id, _changes(body), policy)
        )

    return json_response(200, await write(request, work))


@router.delete("/webhook-endpoints/{endpoint_id}", status_code=204)
async def delete_endpoint(
    endpoint_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    await write(request, lambda uow: webhooks.delete_endpoint(uow, actor, endpoint_id))
    return Response(status_code=204)


@router.post("/webhook-endpoints/{endpoint_id}/rotate-secret")
async def rotate_secret(
    endpoint_id: uuid.UUID,
    request: Request,
    body: EmptyIn | None = None,
    actor: Actor = Depends(current_actor),
) -> Response:
    """A new secret (shown this once); the previous one keeps signing alongside it for 24 hours."""

    async def work(uow: UnitOfWork) -> Any:
        row, secret = await webhooks.rotate_secret(uow, actor, endpoint_id)
        return webhook_render.endpoint(row, secret)

    return json_response(200, await write(request, work))


@router.post("/webhook-endpoints/{endpoint_id}/replay")
async def replay(
    endpoint_id: uuid.UUID, body: ReplayIn, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Re-queue the endpoint's failed deliveries created since ``since``."""
    since = body.since
    if since.tzinfo is not None:
        try:
            since = since.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            raise ValidationFailed.field("since", "is out of range") from None
    count = await write(request, lambda uow: webhooks.replay(uow, actor, endpoint_id, since))
    return json_response(200, {"object": "webhook_replay", "requeued": count})


@router.post("/webhook-endpoints/{endpoint_id}/test")
async def send_test(
    endpoint_id: uuid.UUID,
    request: Request,
    body: EmptyIn | None = None,
    actor: Actor = Depends(current_actor),
) -> Response:
    """Send a ``webhook.test`` event to this endpoint."""

    async def work(uow: UnitOfWork) -> Any:
        return await webhooks.send_test(uow, actor, endpoint_id)

    row = await write(request, work)
    return json_response(200, render.event(row))


@router.get("/webhook-endpoints/{endpoint_id}/deliveries")
async def deliveries(
    endpoint_id: uuid.UUID,
    request: Request,
    limit: int = 20,
    after: str | None = None,
    actor: Actor = Depends(current_actor),
) -> Response:
    """The endpoint's deliveries, newest first, each with its attempts."""
    size, cursor = page_params(limit, after)
    views, more = await read(
        request, lambda uow: webhooks.deliveries(uow, actor, endpoint_id, limit=size, after=cursor)
    )
    return json_response(200, render.page([webhook_render.delivery_view(view) for view in views], more))


@router.get("/events")
async def list_events(
    request: Request,
    limit: int = 20,
    after: str | None = None,
    type: str | None = None,
    resourceType: str | None = None,  # noqa: N803
    resourceId: str | None = None,  # noqa: N803
    actor: Actor = Depends(current_actor),
) -> Response:
    """The organization's events, oldest first (by ``sequence``); poll with ``after`` = the last id seen."""
    size, cursor = page_params(limit, after)
    resource_id = None
    if resourceId is not None:
        try:
            resource_id = uuid.UUID(resourceId)
        except ValueError:
            raise ValidationFailed.field("resourceId", "must be a UUID") from None
    filters = webhooks.EventFilter(type, resourceType, resource_id)
    rows, more = await read(
        request, lambda uow: webhooks.list_events(uow, actor, filters, limit=size, after=cursor)
    )
    return json_response(200, render.page([render.event(row) for row in rows], more))


@router.get("/events/{event_id}")
async def get_event(event_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)) -> Response:
    row = await read(request, lambda uow: webhooks.get_event(uow, actor, event_id))
    return json_response(200, render.event(row))


@router.post("/events/{event_id}/resend")
async def resend(
    event_id: uuid.UUID, request: Request, body: ResendIn | None = None, actor: Actor = Depends(current_actor)
) -> Response:
    """Deliver the event again, with the same ``webhook-id``: to ``endpointId``, else to every enabled
    endpoint subscribed to its type."""
    endpoint_id = None
    if body is not None and body.endpoint_id is not None:
        try:
            endpoint_id = uuid.UUID(body.endpoint_id)
        except ValueError:
            raise ValidationFailed.field("endpointId", "must be a UUID") from None

    async def work(uow: UnitOfWork) -> Any:
        views = await webhooks.resend(uow, actor, event_id, endpoint_id)
        return [webhook_render.delivery_view(view) for view in views]

    return json_response(200, render.page(await write(request, work), False))
