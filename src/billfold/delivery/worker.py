"""The delivery loop: ``billfold worker`` runs it as its own process, and ``billfold serve`` runs it in
each of its worker processes (``BILLFOLD_EMBEDDED_WORKER=false`` turns that off). Any number of loops
may run against one database; they share the work through the outbox's leases.

The loop delivers what is due (at once again while batches come back full, else after the poll
interval) and runs the scheduler once a minute. On stop (SIGTERM) it finishes the attempts in flight,
each bounded by the webhook timeout, and returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.config import WebhookSettings
from billfold.delivery.deliverer import Deliverer
from billfold.delivery.scheduler import emit_overdue
from billfold.services.webhook_urls import Resolver

log = logging.getLogger("billfold.delivery")
SCHEDULER_EVERY_S = 60.0
ERROR_PAUSE_S = 5.0


async def run(
    engine: AsyncEngine,
    settings: WebhookSettings,
    stop: asyncio.Event,
    *,
    resolver: Resolver | None = None,
    scheduler_every: float = SCHEDULER_EVERY_S,
) -> None:
    deliverer = Deliverer(engine, settings, resolver=resolver)
    next_pass = 0.0
    try:
        while not stop.is_set():
            pause = settings.poll_interval
            try:
                if time.monotonic() >= next_pass:
                    await emit_overdue(engine)
                    next_pass = time.monotonic() + scheduler_every
                if await deliverer.run_once() >= deliverer.batch:
                    pause = 0.0
            except Exception:
                log.exception("webhook delivery pass failed; retrying in %s s", ERROR_PAUSE_S)
                pause = ERROR_PAUSE_S
            if pause:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
    finally:
        await deliverer.close()
