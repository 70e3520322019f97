"""JSON of webhook endpoints and deliveries (the secret appears only where a route passes it)."""

from __future__ import annotations

from typing import Any

from billfold.api.render import timestamp
from billfold.db import models as m
from billfold.services.webhooks import DeliveryView


def endpoint(row: m.WebhookEndpoint, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(row.id),
        "object": "webhook_endpoint",
        "url": row.url,
        "description": row.description,
        "enabledEvents": list(row.enabled_events),
        "status": row.status,
        "disabled": row.status != "enabled",
        "disabledReason": row.disabled_reason,
        "failingSince": timestamp(row.failing_since),
        "previousSecretExpiresAt": timestamp(row.previous_secret_expires_at),
        "createdAt": timestamp(row.created_at),
        "updatedAt": timestamp(row.updated_at),
    }
    if secret is not None:
        body["secret"] = secret
    return body


def attempt(row: m.WebhookAttempt) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "statusCode": row.status_code,
        "durationMs": row.duration_ms,
        "responseSnippet": row.response_snippet,
        "error": row.error,
        "createdAt": timestamp(row.created_at),
    }


def delivery(
    row: m.WebhookDelivery, event_type: str = "", attempts: list[m.WebhookAttempt] | None = None
) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "object": "webhook_delivery",
        "endpointId": str(row.endpoint_id),
        "eventId": str(row.event_id),
        "eventType": event_type,
        "status": row.status,
        "attemptCount": row.attempts,
        "nextAttemptAt": timestamp(row.next_attempt_at) if row.status == "pending" else None,
        "lastStatusCode": row.last_status_code,
        "lastError": row.last_error,
        "deliveredAt": timestamp(row.delivered_at),
        "createdAt": timestamp(row.created_at),
        "attempts": [attempt(a) for a in attempts or []],
    }


def delivery_view(view: DeliveryView) -> dict[str, Any]:
    return delivery(view.delivery, view.event_type, view.attempts)
