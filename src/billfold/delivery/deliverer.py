"""Claims due deliveries, sends them, records every attempt, schedules retries.

A claim leases its rows (``lease_until`` = now + twice the timeout + 5 s: time for the request and
for writing its outcome) and commits at once, so no row
lock is held while the HTTP request runs; the outcome is written only while this deliverer still holds
the lease. A deliverer that dies mid-attempt leaves the lease to run out, and another deliverer tries
again: at-least-once (a receiver deduplicates by ``webhook-id``, the event id).

Retries follow ``BILLFOLD_WEBHOOK_RETRY_SCHEDULE`` (the wait before each retry, each ±10 % at random so
a receiver that comes back is not hit by every retry at once); after the last one the delivery is
``failed``. An endpoint whose every attempt failed for 24 hours is ``auto_disabled``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.config import WebhookSettings
from billfold.db.ids import new_id, utcnow
from billfold.db.outbox import Claimed, Outbox
from billfold.db.uow import UnitOfWork
from billfold.delivery.sender import Outcome, Sender
from billfold.delivery.signing import signature_header
from billfold.services.webhook_urls import Resolver

log = logging.getLogger("billfold.delivery")
LEASE_MARGIN_S = 5
AUTO_DISABLE_AFTER = timedelta(hours=24)


def body_of(claimed: Claimed) -> bytes:
    """``{"type", "timestamp", "data"}``: the event's type and time, and its resource as it was."""
    when = claimed.event_created_at.isoformat(timespec="milliseconds") + "Z"
    return orjson.dumps({"type": claimed.event_type, "timestamp": when, "data": claimed.payload})


def signing_secrets(claimed: Claimed, now: datetime) -> list[str]:
    secrets = [claimed.secret]
    expires = claimed.previous_secret_expires_at
    if claimed.previous_secret and expires is not None and expires > now:
        secrets.append(claimed.previous_secret)
    return secrets


class Deliverer:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: WebhookSettings,
        *,
        resolver: Resolver | None = None,
        batch: int = 20,
        owner: str | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.batch = batch
        self.owner = owner or f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.sender = Sender(
            timeout=settings.timeout, allow_private=settings.allow_private, resolver=resolver
        )

    async def close(self) -> None:
        await self.sender.close()

    async def run_once(self) -> int:
        """Claim and send one batch; how many deliveries were attempted."""
        now = utcnow()
        lease = now + timedelta(seconds=2 * self.settings.timeout + LEASE_MARGIN_S)
        async with UnitOfWork(self.engine, readonly=True) as uow:
            # an idle poll reads only (on SQLite a claim would take the write lock every time)
            if not await Outbox(uow.session).any_due(now):
                return 0
        async with UnitOfWork(self.engine) as uow:
            claimed = await Outbox(uow.session).claim(now, lease, self.owner, self.batch)
            await uow.session.commit()
        if claimed:
            outcomes = await asyncio.gather(
                *(self._deliver(item) for item in claimed), return_exceptions=True
            )
            for item, outcome in zip(claimed, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    # the lease runs out and another pass tries again
                    log.error("delivery %s failed unexpectedly", item.delivery_id, exc_info=outcome)
        return len(claimed)

    async def _deliver(self, claimed: Claimed) -> None:
        if claimed.endpoint_status != "enabled":
            await self._finish(claimed, None, {"status": "failed", "last_error": "the endpoint is disabled"})
            return
        body = body_of(claimed)
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": str(claimed.event_id),
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(
                signing_secrets(claimed, utcnow()), str(claimed.event_id), timestamp, body
            ),
        }
        outcome = await self.sender.post(claimed.url, headers, body)
        await self._finish(claimed, outcome, self._next(claimed, outcome))

    def _next(self, claimed: Claimed, outcome: Outcome) -> dict[str, Any]:
        now = utcnow()
        attempts = claimed.attempts + 1
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error or (None if outcome.ok else f"answered {outcome.status_code}"),
            "updated_at": now,
        }
        schedule = self.settings.retry_schedule
        if outcome.ok:
            return values | {"status": "delivered", "delivered_at": now}
        if attempts > len(schedule):
            return values | {"status": "failed"}
        wait = schedule[attempts - 1] * random.uniform(0.9, 1.1)
        return values | {"next_attempt_at": now + timedelta(seconds=wait)}

    async def _finish(self, claimed: Claimed, outcome: Outcome | None, values: dict[str, Any]) -> None:
        try:
            await self._write_outcome(claimed, outcome, values)
        except IntegrityError:
            # the endpoint, and its deliveries with it, was deleted while this attempt ran
            log.info("delivery %s is gone; its outcome is not recorded", claimed.delivery_id)

    async def _write_outcome(self, claimed: Claimed, outcome: Outcome | None, values: dict[str, Any]) -> None:
        now = utcnow()
        async with UnitOfWork(self.engine) as uow:
            outbox = Outbox(uow.session)
            if outcome is not None:
                await outbox.add_attempt(
                    {
                        "id": new_id(),
                        "organization_id": claimed.organization_id,
                        "delivery_id": claimed.delivery_id,
                        "status_code": outcome.status_code,
                        "duration_ms": outcome.duration_ms,
                        "response_snippet": outcome.snippet,
                        "error": outcome.error,
                        "lease_owner": self.owner,
                        "created_at": now,
                    }
                )
            held = await outbox.finish(claimed, self.owner, values)
            if held and outcome is not None:
                if outcome.ok:
                    await outbox.endpoint_succeeded(claimed.organization_id, claimed.endpoint_id)
                else:
                    await outbox.endpoint_failed(
                        claimed.organization_id, claimed.endpoint_id, now, now - AUTO_DISABLE_AFTER
                    )
            await uow.session.commit()
