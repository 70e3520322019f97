"""What every route shares: authentication, units of work, idempotent creates and JSON answers."""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db.uow import UnitOfWork
from billfold.services import idempotency
from billfold.services.context import Actor
from billfold.services.errors import Conflict, ValidationFailed
from billfold.services.organizations import authenticate, hash_key
from billfold.web.body import parsed_body

T = TypeVar("T")
KEY_CACHE_SECONDS = 30.0
CREATE_ATTEMPTS = 4


def json_response(status_code: int, body: Any, *, replayed: bool = False) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    content = orjson.dumps(body)
    return Response(content=content, status_code=status_code, media_type="application/json", headers=headers)


def engine_of(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


def presented_key(request: Request) -> str | None:
    """The API key from ``X-API-KEY``, ``Authorization: Bearer <key>`` or ``Authorization: Basic``
    (the key as user name, any password: Sequence's style)."""
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        return token
    if scheme.lower() == "basic" and token:
        try:
            user = base64.b64decode(token, validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user or None
    return None


async def current_actor(request: Request) -> Actor:
    """The caller's organization. Verified keys are remembered briefly to save a query per request."""
    key = presented_key(request)
    cache: dict[str, tuple[Actor, float]] = request.app.state.key_cache
    digest = hash_key(key) if key else ""
    hit = cache.get(digest)
    now = time.monotonic()
    if hit is not None and hit[1] > now:
        return hit[0]
    async with UnitOfWork(engine_of(request), readonly=True) as uow:
        actor = await authenticate(uow, key)
    if len(cache) > 10_000:
        cache.clear()
    cache[digest] = (actor, now + KEY_CACHE_SECONDS)
    return actor


async def read(request: Request, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    async with UnitOfWork(engine_of(request), readonly=True) as uow:
        return await work(uow)


async def write(request: Request, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction and commit it; a race lost on a unique index is retried."""
    for attempt in range(CREATE_ATTEMPTS):
        try:
            async with UnitOfWork(engine_of(request)) as uow:
                result = await work(uow)
                await uow.commit()
                return result
        except IntegrityError:
            await asyncio.sleep(0.005 * (attempt + 1))
    raise Conflict("the request conflicted with concurrent changes; retry it", code="concurrent_update")


def resolve_key(request: Request, body_key: str | None) -> str:
    """The idempotency key from the body or the ``Idempotency-Key`` header; generated when absent."""
    header_key = request.headers.get("idempotency-key")
    if header_key is not None and body_key is not None and header_key != body_key:
        reason = "the Idempotency-Key header and the idempotencyKey field differ"
        raise ValidationFailed(reason, details={"idempotencyKey": reason})
    key = body_key or header_key
    if key is None:
        return uuid.uuid4().hex
    if not (0 < len(key) <= 255) or not all(c.isascii() and (c.isalnum() or c in "_-") for c in key):
        raise ValidationFailed.field("idempotencyKey", "must match ^[a-zA-Z0-9_-]+$ (at most 255 characters)")
    return key


async def idempotent_create(
    request: Request,
    actor: Actor,
    scope: str,
    body_key: str | None,
    work: Callable[[UnitOfWork, str], Awaitable[tuple[int, Any]]],
    *,
    flavour: str = "native",
) -> Response:
    """Create once per key: a replay answers the first answer again (``Idempotent-Replayed: true``).

    Two requests with one key at once: the loser's insert hits a unique index, its transaction rolls
    back, and its retry finds the winner's record and replays it. Never two resources.
    """
    key = resolve_key(request, body_key)
    digest = idempotency.fingerprint(flavour, scope, await parsed_body(request))

    async def attempt(uow: UnitOfWork) -> tuple[idempotency.StoredAnswer, bool]:
        stored = await idempotency.lookup(uow, actor, scope, key, digest)
        if stored is not None:
            return stored, True
        status_code, body = await work(uow, key)
        answer = idempotency.StoredAnswer(status_code, body)
        await idempotency.remember(uow, actor, scope, key, digest, answer)
        return answer, False

    answer, replayed = await write(request, attempt)
    return json_response(answer.status_code, answer.body, replayed=replayed)


def page_params(limit: int, after: str | None) -> tuple[int, uuid.UUID | None]:
    if not 1 <= limit <= 100:
        raise ValidationFailed.field("limit", "must be between 1 and 100")
    if after is None:
        return limit, None
    try:
        return limit, uuid.UUID(after)
    except ValueError as error:
        raise ValidationFailed.field("after", "must be a cursor returned as nextCursor") from error
