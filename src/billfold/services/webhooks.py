"""Webhook endpoints, their deliveries, and the event log clients poll.

An endpoint's signing secret (``whsec_`` + base64 of 32 random bytes, the Standard Webhooks format) is
returned once, when it is created or rotated; it is stored, since signing needs it, and never shown or
logged again. A rotation keeps the old secret signing alongside the new one for 24 hours.

Disabling an endpoint (by the client, or automatically after a day of failures) fails its pending
deliveries; re-enabling it sends only new events. ``replay`` re-queues its failed deliveries since a time.
A resend or a test is a new delivery of the event (same event id, so the same ``webhook-id``: a
receiver that deduplicates sees it once), ordered with nothing else.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.errors import NotFound, ValidationFailed
from billfold.services.events import EVENT_TYPES, RESOURCE_TYPES, record_resource_event
from billfold.services.webhook_urls import RefusedUrl, Resolver, check_url

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
ROTATION_OVERLAP = timedelta(hours=24)
SUBSCRIBABLE = tuple(kind for kind in EVENT_TYPES if kind != "webhook.test")
STATUSES = ("enabled", "disabled", "auto_disabled")


@dataclass(frozen=True, slots=True)
class UrlPolicy:
    allow_private: bool = False
    resolver: Resolver | None = None


@dataclass(frozen=True, slots=True)
class EndpointChanges:
    url: str | None = None
    enabled_events: list[str] | None = None
    description: str | None = None
    disabled: bool | None = None
    # which of the fields above were given (a description may be set to null)
    given: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class DeliveryView:
    delivery: m.WebhookDelivery
    event_type: str
    attempts: list[m.WebhookAttempt]


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _events(value: list[str]) -> list[str]:
    if not value:
        raise ValidationFailed.field("enabledEvents", 'must list at least one event type, or be ["*"]')
    if "*" in value:
        if value != ["*"]:
            raise ValidationFailed.field("enabledEvents", '"*" (every event) must be alone')
        return value
    unknown = [kind for kind in value if kind not in SUBSCRIBABLE]
    if unknown:
        raise ValidationFailed.field(
            "enabledEvents", f"unknown event type {unknown[0]!r}; known: {', '.join(SUBSCRIBABLE)}"
        )
    return list(dict.fromkeys(value))


async def _url(url: str, policy: UrlPolicy) -> str:
    try:
        await check_url(url, allow_private=policy.allow_private, resolver=policy.resolver)
    except RefusedUrl as error:
        raise ValidationFailed.field("url", str(error)) from None
    return url


async def create_endpoint(
    uow: UnitOfWork, actor: Actor, changes: EndpointChanges, policy: UrlPolicy
) -> tuple[m.WebhookEndpoint, str]:
    """A new endpoint and its secret (the only time the secret is returned)."""
    if changes.url is None:
        raise ValidationFailed.field("url", "is required")
    url = await _url(changes.url, policy)
    enabled = _events(changes.enabled_events if changes.enabled_events is not None else ["*"])
    now = utcnow()
    secret = new_secret()
    row = m.WebhookEndpoint(
        id=new_id(),
        organization_id=actor.organization_id,
        url=url,
        description=changes.description,
        enabled_events=enabled,
        status="disabled" if changes.disabled else "enabled",
        disabled_reason="disabled by the client" if changes.disabled else None,
        secret=secret,
        previous_secret=None,
        previous_secret_expires_at=None,
        failing_since=None,
        created_at=now,
        updated_at=now,
    )
    await uow.repo.add(row)
    return row, secret


async def get_endpoint(uow: UnitOfWork, actor: Actor, endpoint_id: uuid.UUID) -> m.WebhookEndpoint:
    row = await uow.repo.get(m.WebhookEndpoint, actor.organization_id, endpoint_id)
    if row is None:
        raise NotFound.resource("webhook endpoint", endpoint_id)
    return row


async def list_endpoints(
    uow: UnitOfWork, actor: Actor, *, limit: int, after: uuid.UUID | None
) -> tuple[list[m.WebhookEndpoint], bool]:
    return await uow.repo.page(m.WebhookEndpoint, actor.organization_id, limit=limit, after=after)


async def update_endpoint(
    uow: UnitOfWork, actor: Actor, endpoint_id: uuid.UUID, changes: EndpointChanges, policy: UrlPolicy
) -> m.WebhookEndpoint:
    row = await uow.repo.get_for_update(m.WebhookEndpoint, actor.organization_id, endpoint_id)
    if row is None:
        raise NotFound.resource("webhook endpoint", endpoint_id)
    now = utcnow()
    values: dict[str, Any] = {"updated_at": now}
    if "url" in changes.given:
        if changes.url is None:
            raise ValidationFailed.field("url", "cannot be null")
        values["url"] = await _url(changes.url, policy)
    if "enabled_events" in changes.given:
        if changes.enabled_events is None:
            raise ValidationFailed.field("enabledEvents", "cannot be null")
        values["enabled_events"] = _events(changes.enabled_events)
    if "description" in changes.given:
        values["description"] = changes.description
    if "disabled" in changes.given and changes.disabled is not None:
        if changes.disabled and row.status == "enabled":
            values |= {"status": "disabled", "disabled_reason": "disabled by the client"}
            await uow.repo.fail_pending_deliveries(
                actor.organization_id, row.id, "the endpoint was disabled", now
            )
        elif not changes.disabled and row.status != "enabled":
            # re-enabled: new events only (replay re-queues what failed meanwhile)
            values |= {"status": "enabled", "disabled_reason": None, "failing_since": None}
    await uow.repo.write_values(row, values)
    return row


async def delete_endpoint(uow: UnitOfWork, actor: Actor, endpoint_id: uuid.UUID) -> None:
    row = await get_endpoint(uow, actor, endpoint_id)
    await uow.repo.delete_endpoint(actor.organization_id, row.id)


async def rotate_secret(
    uow: UnitOfWork, actor: Actor, endpoint_id: uuid.UUID
) -> tuple[m.WebhookEndpoint, str]:
    """A new secret; the current one keeps signing too (a second ``v1,`` signature) for 24 hours."""
    row = await uow.repo.get_for_update(m.WebhookEndpoint, actor.organization_id, endpoint_id)
    if row is None:
        raise NotFound.resource("webhook endpoint", endpoint_id)
    now = utcnow()
    secret = new_secret()
    await uow.repo.write_values(
        row,
        {
            "secret": secret,
            "previous_secret": row.secret,
            "previous_secret_expires_at": now + ROTATION_OVERLAP,
            "updated_at": now,
        },
    )
    return row, secret


async def replay(uow: UnitOfWork, actor: Actor, endpoint_id: uuid.UUID, since: datetime) -> int:
    """Re-queue the endpoint's failed deliveries of events since ``since``; how many."""
    row = await get_endpoint(uow, actor, endpoint_id)
    return await uow.repo.requeue_failed_deliveries(actor.organization_id, row.id, since, utcnow())


async def deliveries(
    uow: UnitOfWork, actor: Actor, endpoint_id: uuid.UUID, *, limit: int, after: uuid.UUID | None
) -> tuple[list[DeliveryView], bool]:
    """The endpoint's deliveries, newest first, each with its attempts (oldest first)."""
    row = await get_endpoint(uow, actor, endpoint_id)
    rows, more = await uow.repo.page(
        m.WebhookDelivery, actor.organization_id, limit=limit, after=after,
        filters=[m.WebhookDelivery.endpoint_id == row.id],
    )  # fmt: skip
    attempts = await uow.repo.attempts_of(actor.organization_id, [d.id for d in rows])
    types = await uow.repo.event_types(actor.organization_id, [d.event_id for d in rows])
    views = [DeliveryView(d, types.get(d.event_id, ""), attempts.get(d.id, [])) for d in rows]
    return views, more


async def resend(
    uow: UnitOfWork, actor: Actor, event_id: uuid.UUID, endpoint_id: uuid.UUID | None
) -> list[DeliveryView]:
    """Send the event again (same ``webhook-id``): to ``endpoint_id``, else to every enabled endpoint
    subscribed to its type. The new deliveries, each with the event's type (and no attempts yet)."""
    event = await get_event(uow, actor, event_id)
    if endpoint_id is not None:
        targets = [(await get_endpoint(uow, actor, endpoint_id)).id]
    else:
        targets = [
            endpoint
            for endpoint, subscribed in await uow.repo.enabled_endpoints(actor.organization_id)
            if "*" in subscribed or event.type in subscribed
        ]
    now = utcnow()
    rows = [_new_delivery(event, target, now) for target in targets]
    for row in rows:
        await uow.repo.insert(row)
    return [DeliveryView(row, event.type, []) for row in rows]


def _new_delivery(event: m.InvoiceEvent, endpoint_id: uuid.UUID, now: datetime) -> m.WebhookDelivery:
    delivery_id = new_id()
    return m.WebhookDelivery(
        id=delivery_id,
        organization_id=event.organization_id,
        endpoint_id=endpoint_id,
        event_id=event.id,
        event_sequence=event.sequence,
        ordering_key=delivery_id,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        lease_owner=None,
        last_status_code=None,
        last_error=None,
        delivered_at=None,
        created_at=now,
        updated_at=now,
    )


async def send_test(uow: UnitOfWork, actor: Actor, endpoint_id: uuid.UUID) -> m.InvoiceEvent:
    """A ``webhook.test`` event, delivered to this endpoint only."""
    row = await get_endpoint(uow, actor, endpoint_id)
    payload = {"id": str(row.id), "object": "webhook_endpoint", "url": row.url}
    return await record_resource_event(
        uow, actor, "webhook_endpoint", row.id, "webhook.test", payload, only_endpoint=row.id
    )


# -- the event log ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventFilter:
    type: str | None = None
    resource_type: str | None = None
    resource_id: uuid.UUID | None = None


async def get_event(uow: UnitOfWork, actor: Actor, event_id: uuid.UUID) -> m.InvoiceEvent:
    row = await uow.repo.get(m.InvoiceEvent, actor.organization_id, event_id)
    if row is None:
        raise NotFound.resource("event", event_id)
    return row


async def list_events(
    uow: UnitOfWork, actor: Actor, filters: EventFilter, *, limit: int, after: uuid.UUID | None
) -> tuple[list[m.InvoiceEvent], bool]:
    """The organization's events, oldest first (by sequence), after the event ``after``."""
    if filters.type is not None and filters.type not in EVENT_TYPES:
        raise ValidationFailed.field("type", f"unknown event type; known: {', '.join(EVENT_TYPES)}")
    if filters.resource_type is not None and filters.resource_type not in RESOURCE_TYPES:
        raise ValidationFailed.field("resourceType", f"must be one of {', '.join(RESOURCE_TYPES)}")
    after_sequence = 0
    if after is not None:
        cursor = await uow.repo.get(m.InvoiceEvent, actor.organization_id, after)
        if cursor is None:
            raise ValidationFailed.field("after", "must be a cursor returned as nextCursor")
        after_sequence = cursor.sequence
    return await uow.repo.events_page(
        actor.organization_id,
        after_sequence=after_sequence,
        limit=limit,
        type=filters.type,
        resource_type=filters.resource_type,
        resource_id=filters.resource_id,
    )
