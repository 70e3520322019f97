"""The application factory: the native API and the vendor dialects over one engine.

The API reference (Swagger UI at ``/docs``, ReDoc at ``/redoc``) is served with its scripts and styles
from the ``fastapi-offline`` package, under ``/docs/assets``, so it works on a machine with no internet
access.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from fastapi_offline import FastAPIOffline
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold import __version__
from billfold.api import errors, openapi, payloads
from billfold.api.routers import (
    adjustments,
    api_keys,
    credit_notes,
    credits,
    documents,
    invoices,
    lifecycle,
    lines,
    organization,
    parties,
    prices,
    products,
    taxes,
    webhooks,
)
from billfold.config import load_settings, load_webhook_settings, public_url
from billfold.db.engine import make_engine
from billfold.delivery import worker
from billfold.dialects import aira, alguna, orb, sequence
from billfold.web import allocator
from billfold.web.body import JsonRoute
from billfold.web.middleware import BoundedBody, JsonByDefault
from billfold.web.public_url import PublicUrl

DOCS_ASSETS = "/docs/assets"
GC_THRESHOLDS = (20_000, 20, 20)  # a served process's collector (see the lifespan)
# FastAPI's OpenTelemetry instrumentation off (BILLFOLD_OPENTELEMETRY turns it on)
TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(
    engine: AsyncEngine | None = None,
    *,
    max_body_bytes: int | None = None,
    embedded_worker: bool | None = None,
) -> FastAPI:
    """Build the app. Without an engine, one is made from ``BILLFOLD_DATABASE_URL`` and closed on shutdown.

    Request bodies are limited to ``max_body_bytes`` (default ``BILLFOLD_MAX_BODY_BYTES``, 5 MiB).
    ``embedded_worker``: run the webhook delivery loop (:mod:`billfold.delivery.worker`) in this process
    while the app runs. By default only an app that made its own engine (``billfold serve``) runs it,
    unless ``BILLFOLD_EMBEDDED_WORKER=false``; an app given an engine (tests) runs it only when asked.
    """
    owns_engine = engine is None
    settings = load_settings()
    if engine is None:
        engine = make_engine(settings.database_url, settings.db_pool_size)
    webhook_settings = load_webhook_settings()
    if embedded_worker is None:
        embedded_worker = owns_engine and webhook_settings.embedded_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = None
        if embedded_worker:
            task = asyncio.create_task(
                worker.run(
                    app.state.engine, app.state.webhook_settings, stop, resolver=app.state.webhook_resolver
                )
            )
        if owns_engine:
            # A served process holds ~185,000 long-lived objects after start-up (modules, schemas,
            # the OpenAPI document); a large request's garbage triggers full collections that walk them
            # all (17-21 ms per 1,000-line bulk create). Freezing them once moves them out of the
            # collector's view; request garbage is still collected as before.
            gc.freeze()
            # A request makes thousands of short-lived containers, nearly all freed by their reference
            # counts: collecting the youngest generation every 700 of them (the default) scanned each
            # request's objects several times over (~3 % of an add's CPU). Every 20,000, the cyclic
            # garbage of a few requests waits a little longer for its collection.
            gc.set_threshold(*GC_THRESHOLDS)
            # Large answers' blocks reused from request to request, not mapped afresh (web.allocator).
            allocator.keep_large_blocks()
        yield
        if task is not None:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if owns_engine:
            await app.state.engine.dispose()

    app = FastAPIOffline(
        static_url=DOCS_ASSETS,
        # no call to the public validator service; "Authorize" survives a reload of the page
        swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        title="Billfold",
        version=__version__,
        description="Self-hosted invoicing engine: derived totals, numbering, vendor-compatible APIs.",
        lifespan=lifespan,
        telemetry=None if settings.opentelemetry else TELEMETRY_OFF,
    )
    app.state.engine = engine
    app.state.webhook_settings = webhook_settings
    app.state.webhook_resolver = None
    payloads.register()
    app.state.dialect_docs = []
    app.router.route_class = JsonRoute
    errors.install(app)
    app.add_middleware(JsonByDefault)
    limit = settings.max_body_bytes if max_body_bytes is None else max_body_bytes
    app.add_middleware(BoundedBody, limit=limit)
    app.add_middleware(PublicUrl, public_url=public_url())
    # Routes are matched one by one in this order (~5 us each): the hottest writes (adding lines,
    # issuing) come first. No path of theirs overlaps one of the routers they now precede.
    for module in (
        lines,
        lifecycle,
        organization,
        api_keys,
        parties,
        credits,
        taxes,
        products,
        prices,
        invoices,
        adjustments,
        documents,
        credit_notes,
        webhooks,
    ):
        app.include_router(module.router)
    for dialect in (aira, sequence, orb, alguna):
        dialect.mount(app)

    openapi.install(app)

    @app.get("/health", tags=["service"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
